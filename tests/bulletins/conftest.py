"""Results to report over the open 2026 `year` of tests/appraisal/conftest.py. Two more units in
each group, scored through the ledger services and recomputed:

| group | rank | unit | total | why | prize |
|---|---|---|---|---|---|
| G1 | 1 | D01 | 1000.00 | nothing deducted | first (leads C01 by exactly 5.00: prize at risk) |
| G1 | 2 | C01 | 995.00 | C1 −10 in H1 | second |
| G1 | 3 | A01 | 950.00 | B1 +250 in H1 and H2 | second |
| G1 | 4 | E01 | 970.00 | veto 30: vetoed, ranks last | — |
| G2 | 1 | B01 | 1000.00 | nothing deducted | first |
| G2 | 2 | F01 | 990.00 | C1 −20 in H1 | second |
| G2 | 3 | G01 | 980.00 | C1 −40 in H1 | second |

With the default policy (bottom 2 of each group) A01, E01, F01 and G01 are lagging. A01 and B01 are
pilots without weekly reports (no_report)."""

from decimal import Decimal as D

import pytest

from appraisal import services as appraisal
from appraisal.recompute import year_results_recompute

from ..appraisal.conftest import _english, year  # noqa: F401 — fixtures
from ..factories import InstitutionFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def score(world, year, institution, points, *, indicator=None, period="h1", kind="indicator"):  # noqa: F811
    return appraisal.ledger_entry_create(
        actor=world.users["hr"],
        scheme=year.scheme,
        institution=institution,
        kind=kind,
        indicator=year.indicators[indicator] if indicator else None,
        period=period,
        points=D(points),
        reason="测试",
    )


@pytest.fixture
def ranked(world, year):  # noqa: F811
    b2 = year.indicators["B2"]
    units = {}
    for code, group in (("D01", world.g1), ("E01", world.g1), ("F01", world.g2), ("G01", world.g2)):
        units[code] = InstitutionFactory(code=code, name=f"{code}机构", group=group)
        b2.institutions.add(units[code])
    score(world, year, world.c, "-10", indicator="C1")
    score(world, year, world.a, "250", indicator="B1", period="h1")
    score(world, year, world.a, "250", indicator="B1", period="h2")
    score(world, year, units["E01"], "30", kind="veto", period="year")
    score(world, year, units["F01"], "-20", indicator="C1")
    score(world, year, units["G01"], "-40", indicator="C1")
    year_results_recompute(scheme_id=year.scheme.pk)
    return type("Ranked", (), {"scheme": year.scheme, "hr": world.users["hr"], **units})


def recompute(year):  # noqa: F811
    year_results_recompute(scheme_id=year.scheme.pk)
