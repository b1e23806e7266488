"""The year workbook HR fills in: the five sheets with their headers and an example row each (laid
out like orgs.importing's template), and 说明."""

import io

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from orgs.importing.reading import MAX_ROWS_PER_SHEET
from orgs.importing.template import format_template_bytes

from .columns import SHEET_COLUMNS

TEMPLATE_FILENAME = "年度考核导入模板.xlsx"


def year_template_bytes() -> io.BytesIO:
    return format_template_bytes(SHEET_COLUMNS, NOTES)


NOTES = [
    "一个工作簿导入一个年度：方案（年度与设置）、考核组别、机构、指标、目标、评分。"
    "“方案”表必须有且只有一行；其他表不需要的可以删除，删除的表不做任何修改。",
    "第1行是表头：列的顺序不限，列名须与模板一致，模板中的列都不能删；其他列（如备注）会被忽略。",
    "第2行是示例（灰色斜体），导入前请删除或改成真实数据。空行会被跳过。",
    "考核组别、机构按编码对应：系统中已有的更新，没有的新建。"
    "“指标”表完整定义该年度的指标（只在方案为草稿或尚无方案时可改）：表中没有的草稿指标（如从上年复制来的）"
    "被删除并在导入结果中列出；指标编码可与往年相同而分值、计分方式、适用机构不同。"
    "导入后方案开始评分（已开始评分的年度，本工作簿的设置和指标须与系统一致；已发布的年度拒绝导入）。",
    "目标：计分方式为 完成率 / 逆向完成率 / 按期 的指标，每个适用机构按上半年、下半年各填一行"
    "（上半年为截至6月30日的数据，下半年为全年累计数据）。上半年按上半年数据计分，下半年按全年数据计分；"
    "完成率 = 分值×实际值÷目标值，逆向完成率 = 分值×目标值÷实际值，"
    "按期 = 完成日期不晚于截止日期得满分；"
    "均不超过分值、不低于0，缺少数据计0分。表中没有的目标不做修改。",
    "每个参加排名的机构，适用的指标分值在每个考核部分的合计须等于该部分满分（方案表）。",
    "评分：指标行的分值带符号计入该指标该期间（扣分填负数）；公共目标、业务目标分上半年、下半年，"
    "执行力建设为全年。加分、否决为全年的正数。导入的评分视为已审核。"
    "一条记录的分值不得超过规则可能计入的范围：指标行的绝对值不超过该指标分值，加分不超过加分上限，"
    "否决扣分不超过方案总分；超出的行被拒绝。完成率类指标不在本表评分（按“目标”表计分）。",
    "再次导入同一年度时，以前导入的评分全部冲销（保留记录），再按本工作簿的“评分”表重新记录；"
    "在系统页面录入的评分不受影响。工作簿中没有“评分”表时，评分不做修改。",
    "数字按单元格中写的数原样读取，不做四舍五入：分值和金额最多两位小数。",
    "导入是“全部或全不”：先检查所有行，只要有一处错误，任何数据都不写入，"
    "并列出全部错误（工作表、行号、列名、填写的值）。",
    f"每张表最多 {MAX_ROWS_PER_SHEET:,} 行数据；"
    f"文件不超过 {filesizeformat(settings.IMPORT_MAX_BYTES)}。",
    "每一处新增和修改都记入审计日志（操作人、时间、修改前后）。",
]
