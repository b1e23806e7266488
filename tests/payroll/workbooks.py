"""Payroll workbooks for tests, built from Python lists (payroll/transfer/ reads them).

`full_payroll()` is the workbook most tests import over the `world` fixture: all six tier
coefficients, the four grade coefficients with a 25% 优秀 cap, 2026 policies for A01, B01 and C01
(settled in December 2026, so that a single year is enough) and twenty employees — the world's
nine, updated, and eleven new ones — with varied post coefficients, non-formal staff, and 优秀
within the cap. `EMPLOYEES` keeps the same data as Python values for the tests' own arithmetic.
"""

import datetime
import io
from decimal import Decimal as D

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from orgs.importing import XLSX_CONTENT_TYPE

POLICY_HEADERS = ["考核年度", "机构编码", "人均水平", "基础性比例", "兑现月份"]
TIER_HEADERS = ["档次", "系数"]
GRADE_HEADERS = ["等次", "系数", "比例上限"]
EMPLOYEE_HEADERS = [
    "工号",
    "姓名",
    "机构编码",
    "是否正式",
    "岗位系数",
    "岗位工资",
    "薪级工资",
    "特殊岗位津贴",
    "个人等次",
]
EXPORT_HEADERS = [
    "机构编码",
    "机构名称",
    "工号",
    "姓名",
    "岗位工资",
    "薪级工资",
    "特殊岗位津贴",
    "基础性绩效",
    "奖励性绩效",
    "考核奖金",
    "应发合计",
]

TIERS = {
    "一等奖": D("1.25"),
    "二等奖": D("1.15"),
    "三等奖": D("1.1"),
    "合格": D("1"),
    "一票否决": D("0.9"),
    "不合格": D("0.8"),
}
GRADES = {"优秀": D("1.2"), "合格": D("1.0"), "基本合格": D("0.6"), "不合格": D("0")}
EXCELLENT_SHARE = D("0.25")

# code -> (人均水平, 基础性比例, as written in the cell, 兑现月份 as written)
POLICIES = {
    "A01": (D("36000.07"), D("0.613"), "0.613", "2026-12"),
    "B01": (D("42000"), D("0.6"), "60%", "2026-12"),
    "C01": (D("30000.50"), D("0.55"), 0.55, datetime.datetime(2026, 12, 1)),
}

# (工号, 姓名, 机构, formal, 岗位系数, 岗位工资, 薪级工资, 特殊岗位津贴, 个人等次 or None)
EMPLOYEES = [
    ("A0000", "甲一", "A01", True, D("2.00"), D("3100.00"), D("1250.50"), D("0"), "优秀"),
    ("A0001", "甲二", "A01", True, D("1.37"), D("2900.00"), D("1100.25"), D("120.00"), None),
    ("A0002", "甲三", "A01", True, D("1.00"), D("2800.00"), D("980.00"), D("0"), "基本合格"),
    ("A0003", "甲四", "A01", True, D("1.20"), D("2850.00"), D("1010.10"), D("0"), "优秀"),
    ("A0004", "甲五", "A01", True, D("0.85"), D("2600.00"), D("870.00"), D("60.00"), "合格"),
    ("A0005", "甲六", "A01", True, D("1.00"), D("2800.00"), D("900.00"), D("0"), "不合格"),
    ("A0006", "甲七", "A01", True, D("1.15"), D("2820.00"), D("955.55"), D("0"), None),
    ("A0007", "甲八", "A01", True, D("1.00"), D("2800.00"), D("905.00"), D("0"), "合格"),
    ("A0008", "甲九", "A01", False, D("1.00"), D("2400.00"), D("0"), D("0"), None),
    ("B0000", "乙一", "B01", True, D("1.50"), D("3000.00"), D("1200.00"), D("0"), "优秀"),
    ("B0001", "乙二", "B01", True, D("1.00"), D("2800.00"), D("1000.00"), D("0"), None),
    ("B0002", "乙三", "B01", True, D("1.10"), D("2860.00"), D("1030.30"), D("200.00"), "合格"),
    ("B0003", "乙四", "B01", True, D("0.90"), D("2700.00"), D("960.00"), D("0"), "基本合格"),
    ("B0004", "乙五", "B01", True, D("1.00"), D("2800.00"), D("1000.01"), D("0"), None),
    ("B0005", "乙六", "B01", False, D("0.80"), D("2300.00"), D("0"), D("0"), None),
    ("C0000", "丙一", "C01", True, D("1.30"), D("2950.00"), D("1150.00"), D("0"), "优秀"),
    ("C0001", "丙二", "C01", True, D("1.00"), D("2800.00"), D("1000.00"), D("0"), None),
    ("C0002", "丙三", "C01", True, D("1.00"), D("2800.00"), D("1000.00"), D("0"), None),
    ("C0003", "丙四", "C01", True, D("0.95"), D("2750.00"), D("990.00"), D("35.50"), "合格"),
    ("C0004", "丙五", "C01", True, D("1.05"), D("2810.00"), D("1010.00"), D("0"), "基本合格"),
]


def employee_row(staff_number, name, code, formal, post, wage, grade_wage, special, grade):
    return [
        staff_number,
        name,
        code,
        "是" if formal else "否",
        post,
        wage,
        grade_wage,
        special,
        grade,
    ]


def full_payroll(employees=None) -> dict[str, list[list]]:
    rows = EMPLOYEES if employees is None else employees
    return {
        "工资政策": [
            POLICY_HEADERS,
            *[[2026, code, p[0], p[2], p[3]] for code, p in POLICIES.items()],
        ],
        "奖励系数": [TIER_HEADERS, *[[tier, c] for tier, c in TIERS.items()]],
        "个人等次系数": [
            GRADE_HEADERS,
            ["优秀", GRADES["优秀"], "25%"],
            *[[grade, c, None] for grade, c in GRADES.items() if grade != "优秀"],
        ],
        "员工": [EMPLOYEE_HEADERS, *[employee_row(*e) for e in rows]],
    }


def many_employees(count: int, code: str = "A01") -> dict[str, list[list]]:
    """A policy and `count` new formal employees of one institution, for query counts."""
    return {
        "工资政策": [POLICY_HEADERS, [2026, code, D("36000"), "0.6", "2026-12"]],
        "员工": [
            EMPLOYEE_HEADERS,
            *[
                [f"N{i:05d}", f"新{i}", code, "是", D("1.00"), D("2800"), D("1000"), None, None]
                for i in range(count)
            ],
        ],
    }


def workbook(sheets: dict[str, list[list]]) -> io.BytesIO:
    """An in-memory xlsx: sheet title -> rows, each a list of cell values."""
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


def upload(sheets: dict[str, list[list]], name: str = "payroll.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook(sheets).getvalue(), content_type=XLSX_CONTENT_TYPE)


def paid_sheet(rows: list[tuple[str, D]], extra_column: bool = True) -> dict[str, list[list]]:
    """实发工资 with 工号 and 应发合计, and a 姓名 column the import ignores."""
    if extra_column:
        return {"实发工资": [["工号", "姓名", "应发合计"], *[[n, "某人", g] for n, g in rows]]}
    return {"实发工资": [["工号", "应发合计"], *[[n, g] for n, g in rows]]}


def exported_sheet(content: bytes):
    """The worksheet of an exported payroll workbook (opened normally, to see its styles)."""
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def exact(value):
    """A number cell as Decimal: the file holds the exact digits; openpyxl reads them back as
    float, whose str() gives them again."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return D(str(value))
    return value
