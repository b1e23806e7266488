"""Year workbooks for tests, built from Python lists (appraisal/transfer/ reads them).

`full_year()` is the year most tests import: three groups with the rules' prize money, ten
institutions, indicators adding up to 300 / 300 / 400, and score rows with a bonus over the cap,
a veto reaching 30, a tie at a prize boundary and an institution below 800. The results it must
give, worked out by hand, are in test_transfer.py.
"""

import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from orgs.importing import XLSX_CONTENT_TYPE

SCHEME = ["年度", "公共目标分值", "业务目标分值", "执行力建设分值", "合格线", "否决线", "加分上限"]
GROUPS = [
    "组别编码",
    "组别名称",
    "一等奖名额",
    "一等奖金额",
    "二等奖名额",
    "二等奖金额",
    "三等奖名额",
    "三等奖金额",
]
INSTITUTIONS = ["机构编码", "机构名称", "组别编码"]
INDICATORS = ["指标编码", "考核部分", "指标名称", "分值", "计分方式", "评分科室", "适用机构"]
TARGETS = ["机构编码", "指标编码", "期间", "目标值", "实际值", "截止日期", "完成日期"]
SCORES = ["机构编码", "类别", "指标编码", "期间", "分值", "事由"]
HEADERS = {
    "方案": SCHEME,
    "考核组别": GROUPS,
    "机构": INSTITUTIONS,
    "指标": INDICATORS,
    "目标": TARGETS,
    "评分": SCORES,
}
EXPORT_HEADERS = [
    "组别编码",
    "组别名称",
    "排名",
    "机构编码",
    "机构名称",
    "公共目标",
    "业务目标",
    "执行力建设",
    "加分",
    "否决扣分",
    "总分",
    "等次",
    "一票否决",
    "奖项",
    "奖金",
    "黄牌",
    "诫勉谈话",
]

# The groups full_year() names.
GROUP_NAMES = {"G1": "第一组", "G2": "第二组", "G3": "第三组"}
# The departments full_year() names (by code or by name); tests create them.
DEPARTMENTS = {"AQ": "安全生产科", "DJ": "党建办", "YW": "业务部", "DC": "督查室"}

INSTITUTION_NAMES = {
    "A01": "城东支行",
    "A02": "城西支行",
    "A03": "城南支行",
    "A04": "城北支行",
    "B01": "高新支行",
    "B02": "开发区支行",
    "B03": "港区支行",
    "C01": "东山营业部",
    "C02": "西山营业部",
    "C03": "南山营业部",
}


def full_year(year: int = 2025) -> dict[str, list[list]]:
    """Sheet title -> rows, the header first. Lists, so a test can change a cell or add a row."""
    return {
        "方案": [SCHEME, [year, 300, 300, 400, 800, 30, 20]],
        "考核组别": [
            GROUPS,
            ["G1", "第一组", 1, 50000, 1, 30000, 1, 10000],
            ["G2", "第二组", 1, 50000, 1, 30000, 1, 10000],
            ["G3", "第三组", 1, 15000, 1, 10000, 1, 5000],
        ],
        "机构": [
            INSTITUTIONS,
            *(
                [code, name, f"G{'ABC'.index(code[0]) + 1}"]
                for code, name in INSTITUTION_NAMES.items()
            ),
        ],
        "指标": [
            INDICATORS,
            ["C1", "公共目标", "安全生产", 150, "扣分", "AQ", None],
            ["C2", "公共目标", "党风廉政建设", 150, "扣分", "党建办", ""],
            # 差异化: business goals per institution; both kinds of comma, spaces around codes.
            ["B1", "业务目标", "营业收入", 300, "计分", "业务部", "A01,A02，A03, A04,B01,B02,B03"],
            ["B2", "业务目标", "服务质量", 300, "扣分", "YW", "C01，C02，C03"],
            ["E1", "执行力建设", "重点工作", 400, "扣分", "督查室", None],
        ],
        "评分": [
            SCORES,
            ["A01", "指标", "B1", "上半年", 290, "营业收入完成"],
            ["A01", "指标", "B1", "下半年", 300, "营业收入完成"],
            ["A01", "指标", "C1", "上半年", -3, "安全检查发现隐患"],
            ["A01", "指标", "E1", "全年", -3, "重点项目延误"],
            ["A01", "指标", "E1", "全年", "-2.5", "批办事项逾期"],
            ["A01", "加分", None, None, 15, "重点项目成绩突出"],
            ["A01", "加分", None, "全年", 10, "迎检表现突出"],  # 25 in all, over the cap of 20
            ["A02", "指标", "B1", "上半年", 300, "营业收入完成"],
            ["A02", "指标", "B1", "下半年", 300, "营业收入完成"],
            ["A02", "指标", "C2", "下半年", Decimal("-1.5"), "廉政谈话未按期"],
            ["A02", "指标", "E1", "全年", -10, "督办事项未完成"],
            ["A03", "指标", "B1", "上半年", 300, "营业收入完成"],
            ["A03", "指标", "B1", "下半年", 300, "营业收入完成"],
            ["A03", "指标", "C1", "上半年", -1.5, "安全台账不全"],
            ["A03", "指标", "E1", "全年", -10, "督办事项未完成"],
            ["A04", "指标", "B1", "上半年", 200.25, "营业收入完成"],
            ["A04", "指标", "B1", "下半年", "100.12", "营业收入完成"],
            ["B01", "指标", "B1", "上半年", 300, "营业收入完成"],
            ["B01", "指标", "B1", "下半年", 300, "营业收入完成"],
            ["B01", "否决", None, "全年", 10, "安全生产事故"],
            ["B01", "否决", None, None, 20, "纪检监察通报"],  # 30 in all: vetoed
            ["B02", "指标", "B1", "上半年", 250, "营业收入完成"],
            ["B02", "指标", "B1", "下半年", 250, "营业收入完成"],
            ["B03", "指标", "B1", "上半年", 50, "营业收入完成"],
            ["B03", "指标", "B1", "下半年", 40, "营业收入完成"],
            ["B03", "指标", "E1", "全年", -20, "重点项目未完成"],
            ["C01", "加分", None, None, 5, "宣传工作突出"],
            ["C02", "指标", "B2", "上半年", -10, "客户投诉属实"],
            ["C03", "指标", "E1", "全年", "-0.01", "报送延误"],
            ["C03", "否决", None, None, 5, "计划生育通报"],
            ["C03", "指标", "C1", "下半年", 0, "检查无问题"],  # 0 records nothing
        ],
    }


def small_year(year: int, codes: list[str]) -> dict[str, list[list]]:
    """A year where every indicator applies to every institution, with one deduction per
    institution: `codes` of institutions already in groups."""
    return {
        "方案": [SCHEME, [year, 300, 300, 400, 800, 30, 20]],
        "指标": [
            INDICATORS,
            ["C1", "公共目标", "安全生产", 300, "扣分", "AQ", None],
            ["B1", "业务目标", "服务质量", 300, "扣分", "AQ", None],
            ["E1", "执行力建设", "重点工作", 400, "扣分", "AQ", None],
        ],
        "评分": [SCORES, *([code, "指标", "C1", "上半年", -1, "隐患"] for code in codes)],
    }


def workbook(sheets: dict[str, list[list]]) -> io.BytesIO:
    """An in-memory xlsx: sheet title -> rows, each a list of cell values ([] = a blank row)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                ws.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def upload(sheets: dict[str, list[list]], name: str = "year.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook(sheets).getvalue(), content_type=XLSX_CONTENT_TYPE)


def exported_rows(content: bytes) -> tuple[list, list[list]]:
    """The header and the rows of an exported rankings workbook; numbers as Decimal (the file
    holds the exact digits; openpyxl reads them back as float, whose str() gives them again)."""
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [[_exact(c.value) for c in row] for row in ws.iter_rows()]
    return rows[0], rows[1:]


def _exact(value):
    if isinstance(value, float):
        return Decimal(str(value))
    return value
