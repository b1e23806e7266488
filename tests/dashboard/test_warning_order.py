"""The overview's early warnings sort on the server (issue 15, part 5): `?ordering=` by kind (most
serious first, the default), institution code, institution name or group, `-` descending; an
unknown column keeps the default. The page's other choices (trend group, warning kind, the page of
charts) keep the ordering, the API takes the same parameter, and the query count stays fixed."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from appraisal.models import LedgerEntry
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY
from dashboard.selectors import WARNING_ORDERINGS

from .test_pages import overview_url, record


@pytest.fixture(autouse=True)
def _warned(world, year):
    """C01 vetoed (第一组), A01 below the line and without a weekly report, B01 without one."""
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    record(world, year, world.c, kind=LedgerEntry.Kind.VETO, points="30")
    record(world, year, world.a, points="-200")
    year_results_recompute(scheme_id=year.scheme.pk)
    yield
    cache.delete(PENDING_KEY.format(year.scheme.pk))


def rows(response) -> list[tuple[str, str]]:
    table = response.content.decode().split('data-testid="warnings-table"')[1].split("</table>")[0]
    return re.findall(r'<tr data-code="(\w+)" data-warning="(\w+)"', table)


def test_the_warnings_sort_by_each_column(client_for, world):
    hr = client_for("hr")
    default = rows(hr.get(overview_url()))
    assert default[0] == ("C01", "vetoed")  # the most serious first
    assert rows(hr.get(overview_url(), {"ordering": "kind"})) == default
    assert rows(hr.get(overview_url(), {"ordering": "-kind"}))[-1] == ("C01", "vetoed")
    by_code = [code for code, _kind in rows(hr.get(overview_url(), {"ordering": "institution"}))]
    assert by_code == sorted(by_code)
    by_code = [code for code, _kind in rows(hr.get(overview_url(), {"ordering": "-institution"}))]
    assert by_code == sorted(by_code, reverse=True)
    assert rows(hr.get(overview_url(), {"ordering": "sideways"})) == default
    response = hr.get(overview_url(), {"ordering": "group"})
    assert response.context["o"].warning_order == "group"
    groups = [w.group_name for w in response.context["o"].shown_warnings]
    assert groups == sorted(groups, key=lambda name: (name == "", name))


def test_the_ordering_survives_the_other_choices(client_for, world):
    hr = client_for("hr")
    html = hr.get(overview_url(), {"ordering": "-name"}).content.decode()
    # A warning kind keeps the ordering, and the column header turns it round.
    assert 'href="?warning=vetoed&amp;group=G1&amp;ordering=-name#warnings"' in html
    assert 'href="?ordering=name"' in html and 'aria-sort="descending"' in html


@pytest.mark.parametrize("ordering", [f"{s}{f}" for f in WARNING_ORDERINGS for s in ("", "-")])
def test_the_api_sorts_the_same_and_counts_the_same(
    client_for, ordering, django_assert_num_queries
):
    hr = client_for("hr")
    api = reverse("dashboard-overview", kwargs={"year": 2026})
    page = [c for c, _k in rows(hr.get(overview_url(), {"ordering": ordering}))]
    answer = hr.get(api, {"ordering": ordering}).json()["warnings"]
    assert [w["institution"] for w in answer] == page
    assert {w["institution_name"] for w in answer} >= {"甲机构"}
    hr.get(overview_url())
    with django_assert_num_queries(12):  # the page's pinned count, sorted or not
        hr.get(overview_url(), {"ordering": ordering})
