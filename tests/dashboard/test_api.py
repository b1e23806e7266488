"""The overview and the portal over the API: same scope and figures as the pages."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY

from ..factories import InstitutionFactory
from ..personas import PERSONAS, statuses
from .test_pages import record

#                    hr  head_a head_b scorer accept payroll auditor norole
OVERVIEW = statuses("200 403    403    403    403    403     200     403")
PORTAL_A = statuses("200 200    404    403    403    403     200     403")


@pytest.fixture(autouse=True)
def _results(year):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    year_results_recompute(scheme_id=year.scheme.pk)


def overview_url(year=2026):
    return reverse("dashboard-overview", kwargs={"year": year})


def portal_url(code, year=2026):
    return reverse("dashboard-portal", kwargs={"year": year, "code": code})


@pytest.mark.parametrize("persona", PERSONAS)
def test_access(client_for, persona):
    client = client_for(persona)
    for url, table in ((overview_url(), OVERVIEW), (portal_url("A01"), PORTAL_A)):
        response = client.get(url)
        expected = 401 if persona == "anonymous" else table[persona]
        assert response.status_code == expected, (persona, url)


def test_overview_json(client_for, world, year):
    record(world, year, world.a, points="-40")
    year_results_recompute(scheme_id=year.scheme.pk)
    data = client_for("hr").get(overview_url()).json()
    assert data["year"] == 2026
    assert {h["key"] for h in data["headlines"]} >= {"institutions", "average", "vetoed"}
    g1 = next(g for g in data["groups"] if g["group"] == "G1")
    assert [r["institution"] for r in g1["results"]] == ["C01", "A01"]
    assert g1["results"][1]["total"] == "680.00"  # decimal strings, exact
    assert sum(b["count"] for b in data["distribution"]) == 3
    found = [(w["institution"], w["code"]) for w in data["warnings"]]
    assert found == [("A01", "below_line"), ("A01", "no_report"), ("B01", "no_report")]
    assert data["warnings"][0]["figures"] == {"total": "680.00", "gap": "120.00"}
    assert data["trend_group"] == "G1"


def test_portal_json_and_scope(client_for, world, year):
    data = client_for("head_a").get(portal_url("A01")).json()
    assert data["institution"] == "A01"
    assert data["result"]["total"] == "700.00"
    assert data["gap_to_qualify"] == "100.00"
    parts = {p["key"]: p for p in data["parts"]}
    assert parts["execution"]["own"] == "400.00"
    assert client_for("head_a").get(portal_url("B01")).status_code == 404


def test_overview_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    client = client_for("auditor")
    client.get(overview_url())
    with django_assert_num_queries(12) as few:
        client.get(overview_url())
    for i in range(15):
        inst = InstitutionFactory(code=f"X{i:03d}", group=world.g2)
        record(world, year, inst, points=f"-{i + 1}")
    year_results_recompute(scheme_id=year.scheme.pk)
    with django_assert_num_queries(len(few.captured_queries)):
        data = client.get(overview_url()).json()
    assert sum(len(g["results"]) for g in data["groups"]) == 18
    assert Decimal(data["headlines"][3]["value"]) > 0
