"""The payroll workbook HR fills in: the four sheets with their headers and an example row each
(laid out like orgs.importing's template), and 说明."""

import io

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from orgs.importing.reading import MAX_ROWS_PER_SHEET
from orgs.importing.template import format_template_bytes

from .columns import PAYROLL_SHEETS

TEMPLATE_FILENAME = "工资政策与员工导入模板.xlsx"


def payroll_template_bytes() -> io.BytesIO:
    return format_template_bytes(PAYROLL_SHEETS, NOTES)


NOTES = [
    "四张表：工资政策、奖励系数、个人等次系数、员工。不需要的表可以删除，删除的表不做任何修改。",
    "第1行是表头：列的顺序不限，列名须与模板一致，模板中的列都不能删（“岗位”列除外）；"
    "其他列（如备注）会被忽略。",
    "第2行是示例（灰色斜体），导入前请删除或改成真实数据。空行会被跳过。",
    "工资政策按考核年度和机构编码对应：已有的更新，没有的新建。"
    "绩效工资总量 = 人均水平 × 正式在编人数，人数按本次导入后的员工计。",
    "员工按工号对应：已有的更新，没有的新建。"
    "个人等次记入“工资政策”表中最晚的考核年度，留空为合格；"
    "每个机构的优秀人数不得超过 max(1, ⌊正式在编人数 × 比例上限⌋)，"
    "超过的整本拒绝，并指出机构。",
    "数字按单元格中写的数原样读取，不做四舍五入：金额最多两位小数，岗位系数最多两位小数，"
    "奖励系数和个人等次系数最多三位小数。比例可写 0.6 或 60%。",
    "导入是“全部或全不”：先检查所有行，只要有一处错误，任何数据都不写入，"
    "并列出全部错误（工作表、行号、列名、填写的值）。",
    f"每张表最多 {MAX_ROWS_PER_SHEET:,} 行数据；"
    f"文件不超过 {filesizeformat(settings.IMPORT_MAX_BYTES)}。",
    "每一处新增和修改都记入审计日志（操作人、时间、修改前后）；受影响机构的草稿工资单随后重新计算。",
]
