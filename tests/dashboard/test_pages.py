"""HR's overview and the head's portal: who may open them, what they show, and that their
query counts do not grow with the number of institutions."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from acceptance.models import WeeklyReport, week_start
from appraisal import services
from appraisal.models import LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY
from bulletins.models import Bulletin, ExplanationRequest, Snapshot
from dashboard import selectors as dashboard_selectors
from letters.models import Letter, Level

from ..factories import InstitutionFactory
from ..personas import PERSONAS, statuses


@pytest.fixture(autouse=True)
def _no_pending_recompute(year):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    yield
    cache.delete(PENDING_KEY.format(year.scheme.pk))


def record(world, year, institution, *, kind=LedgerEntry.Kind.INDICATOR, points="-10", code="C1"):
    fields = {"kind": kind, "points": Decimal(points), "reason": "考核记录"}
    if kind == LedgerEntry.Kind.INDICATOR:
        fields.update(indicator=year.indicators[code], period="h1")
    entry = services.ledger_entry_create(
        actor=world.users["hr"], scheme=year.scheme, institution=institution, **fields
    )
    if entry.needs_approval:
        services.entry_decide(actor=world.users["hr"], entry=entry, approved=True)
    return entry


def recompute(year):
    return year_results_recompute(scheme_id=year.scheme.pk)


def overview_url(year=2026):
    return reverse("dashboard:overview", kwargs={"year": year})


def portal_url(code, year=2026):
    return reverse("dashboard:portal", kwargs={"year": year, "code": code})


def check(client, persona, url, expected):
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, (persona, url, response.status_code)
    return response


# --- Who may open what ---------------------------------------------------------------------------

#                    hr  head_a head_b scorer accept payroll auditor norole
OVERVIEW = statuses("200 403    403    403    403    403     200     403")
PORTAL_A = statuses("200 200    404    403    403    403     200     403")
LATEST = statuses("302 403    403    403    403    403     302     403")
MINE = statuses("403 302    302    403    403    403     403     403")


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_access(client_for, year, persona):
    client = client_for(persona)
    check(client, persona, overview_url(), OVERVIEW.get(persona))
    check(client, persona, portal_url("A01"), PORTAL_A.get(persona))
    check(client, persona, reverse("dashboard:latest"), LATEST.get(persona))
    check(client, persona, reverse("dashboard:my_portal"), MINE.get(persona))


def test_latest_and_mine_go_to_the_latest_year_that_is_not_a_draft(client_for, year):
    Scheme.objects.create(year=2027)  # a draft
    assert client_for("hr").get(reverse("dashboard:latest"))["Location"] == overview_url(2026)
    response = client_for("head_b").get(reverse("dashboard:my_portal"))
    assert response["Location"] == portal_url("B01")


def test_unknown_year_or_institution_is_404(client_for, year):
    assert client_for("hr").get(overview_url(1999)).status_code == 404
    assert client_for("hr").get(portal_url("NOPE")).status_code == 404
    assert client_for("head_a").get(portal_url("C01")).status_code == 404


# --- What the overview shows ---------------------------------------------------------------------


def headline(response, key):
    return next(h for h in response.context["o"].headlines if h.key == key)


def test_overview_headlines_and_warnings(client_for, world, year):
    record(world, year, world.a, kind=LedgerEntry.Kind.VETO, points="22")  # 22 ≥ 30 − 10
    record(world, year, world.c, kind=LedgerEntry.Kind.VETO, points="30")  # vetoed
    recompute(year)
    # A01 = 300 + 0 + 400 − 22 = 678; B01 = C01 = 1000 before C01's veto: 970, vetoed.
    Letter.objects.create(
        scheme=year.scheme, institution=world.b, level=Level.HEAD, holder_name="乙",
        signer=world.users["head_b"], content={}, issued_by=world.users["hr"],
    )  # fmt: skip
    today = timezone.localdate()
    WeeklyReport.objects.create(
        institution=world.b, week=week_start(today) - datetime.timedelta(weeks=1),
        stage="data", progress=40, submitted_by=world.users["head_b"],
    )  # fmt: skip
    bulletin = Bulletin.objects.create(
        scheme=year.scheme, kind=Bulletin.Kind.MONTHLY, number=1,
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 1, 31),
        status=Bulletin.Status.PUBLISHED, published_at=timezone.now(), generated_at=timezone.now(),
    )  # fmt: skip
    ExplanationRequest.objects.create(
        bulletin=bulletin, institution=world.a, scheme=year.scheme,
        due_on=today - datetime.timedelta(days=1),
    )  # fmt: skip

    response = client_for("hr").get(overview_url())
    assert response.status_code == 200
    assert headline(response, "institutions").value == 3
    assert headline(response, "letters").value == "0 / 1"
    assert headline(response, "vetoed").value == 1
    assert headline(response, "unqualified").value == 2  # A01 below 800, C01 vetoed
    assert headline(response, "average").value == Decimal("882.67")  # (678 + 1000 + 970) / 3
    found = {(w.institution.code, w.warning.code) for w in response.context["o"].warnings}
    assert found == {
        ("A01", "veto_near"),
        ("A01", "below_line"),
        ("C01", "vetoed"),
        ("A01", "explanation_overdue"),
        ("B01", "letter_unsigned"),
        ("A01", "no_report"),  # A01 is a pilot without last week's report; B01 filed one
    }
    html = response.content.decode()
    assert f"{reverse('appraisal:ledger', args=[2026])}?institution=C01&amp;kind=veto" in html
    assert reverse("letters:status", args=[2026]) in html
    # The most serious first.
    assert response.context["o"].warnings[0].warning.code == "vetoed"


def test_overview_charts_have_their_data_and_tables(client_for, world, year):
    recompute(year)
    Snapshot.objects.create(
        scheme=year.scheme, institution=world.a, group=world.g1, month=datetime.date(2026, 1, 1),
        common=300, business=0, execution=400, bonus=0, veto=0, total=Decimal("700.00"),
        vetoed=False, rank=2, grade="unqualified", taken_at=timezone.now(),
    )  # fmt: skip
    response = client_for("auditor").get(overview_url())
    o = response.context["o"]
    assert [g.group.code for g in o.groups] == ["G1", "G2"]
    g1 = o.groups[0].data()
    assert g1["codes"] == ["C01", "A01"]  # by rank: 1000 then 700
    assert [s["key"] for s in g1["series"]] == ["common", "business", "execution", "bonus", "veto"]
    assert g1["series"][0]["data"] == ["300.00", "300.00"]
    assert sum(b.count for b in o.bands) == 3
    assert o.trend.group.code == "G1"
    assert o.trend.data()["series"][1]["code"] == "A01"
    assert o.trend.data()["series"][1]["data"][0] == "700.00"
    html = response.content.decode()
    assert html.count('class="chart"') == 4  # two groups, the distribution, the trend
    assert 'id="distribution-data"' in html and 'id="trend-data"' in html
    assert "vendor/echarts/echarts.common.min.js" in html
    # The trend can show another group.
    response = client_for("hr").get(overview_url() + "?group=G2")
    assert response.context["o"].trend.group.code == "G2"


def test_group_charts_come_a_page_of_whole_groups_at_a_time(
    client_for, world, year, monkeypatch, django_assert_num_queries
):
    recompute(year)
    monkeypatch.setattr(dashboard_selectors, "CHART_BARS_PER_PAGE", 2)  # G1 (2 bars), G2 (1)
    client = client_for("hr")
    client.get(overview_url())
    with django_assert_num_queries(12):  # as many as with every chart on one page
        response = client.get(overview_url() + "?warning=no_report")
    o = response.context["o"]
    assert [g.group.code for g in o.shown_groups] == ["G1"]
    # The figures, the warnings and the API still cover every group.
    assert [(g.group.code, g.page) for g in o.groups] == [("G1", 1), ("G2", 2)]
    assert sum(b.count for b in o.bands) == 3
    html = response.content.decode()
    assert html.count('class="chart"') == 3  # G1, the distribution, the trend
    nav = re.search(r'data-testid="chart-groups".*?</nav>', html, re.S).group(0)
    # Each group is a link to its page, keeping the trend group and the warning kind chosen.
    g2_link = f'href="?charts=2&amp;group=G1&amp;warning=no_report#chart-group-data-{world.g2.pk}"'
    assert g2_link in nav
    assert 'rel="next"' in html

    response = client.get(overview_url() + "?charts=2")
    assert [g.group.code for g in response.context["o"].shown_groups] == ["G2"]
    html = response.content.decode()
    # The chart's table, linked, the name beside the code.
    assert f'href="{portal_url("B01")}">乙机构</a> <span class="text-secondary">B01</span>' in html
    assert client.get(overview_url() + "?charts=x").context["o"].charts_page.number == 1


def test_group_charts_fit_on_one_page_without_the_group_index(client_for, year):
    recompute(year)
    response = client_for("hr").get(overview_url())
    assert response.context["o"].charts_page.paginator.num_pages == 1
    assert 'data-testid="chart-groups"' not in response.content.decode()


def test_overview_before_any_result(client_for, year):
    response = client_for("hr").get(overview_url())
    assert response.status_code == 200
    assert headline(response, "average").value == "—"
    assert response.context["o"].groups == []


def test_overview_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    recompute(year)
    client = client_for("hr")
    client.get(overview_url())
    with django_assert_num_queries(12) as few:
        client.get(overview_url())
    for i in range(20):
        inst = InstitutionFactory(code=f"X{i:03d}", group=world.g1 if i % 2 else world.g2,
                                  is_pilot=i % 3 == 0)  # fmt: skip
        record(world, year, inst, points=f"-{i + 1}")
    recompute(year)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(overview_url())
    assert response.context["o"].results_count == 23


# --- The portal ----------------------------------------------------------------------------------


def test_portal_shows_parts_against_the_group_gaps_and_ledger(client_for, world, year):
    entry = record(world, year, world.a, points="-40")  # A01 H1 common 260 → common 280
    recompute(year)  # G1: C01 1000 (rank 1), A01 680 (rank 2)
    response = client_for("head_a").get(portal_url("A01"))
    p = response.context["p"]
    assert p.result.total == Decimal("680.00")
    parts = {row.key: row for row in p.parts}
    assert parts["common"].own == Decimal("280.00")
    assert parts["common"].group_average == Decimal("290.00")  # (280 + 300) / 2
    assert parts["common"].maximum == Decimal("300")
    # A head learns the gap to the unit above, not who it is; HR sees the name.
    assert p.above.total == Decimal("1000.00") and p.above.institution is None and p.below is None
    assert [e.pk for e in p.entries] == [entry.pk]
    assert {w.warning.code for w in p.warnings} == {"below_line"}
    html = response.content.decode()
    assert html.count('class="chart"') == 2
    assert 'data-col="gap-above"' in html and "丙机构" not in html
    hr_view = client_for("hr").get(portal_url("A01"))
    assert hr_view.context["p"].above.institution.code == "C01"
    assert "丙机构" in hr_view.content.decode()


def test_portal_shows_only_its_institutions_letter_explanations_and_appeals(
    client_for, world, year
):
    recompute(year)
    Letter.objects.create(
        scheme=year.scheme, institution=world.b, level=Level.HEAD, holder_name="乙",
        signer=world.users["head_b"], content={}, issued_by=world.users["hr"],
    )  # fmt: skip
    assert client_for("head_a").get(portal_url("A01")).context["p"].letter is None
    p = client_for("hr").get(portal_url("B01")).context["p"]
    assert p.letter is not None
    assert {w.warning.code for w in p.warnings} == {"letter_unsigned"}


def test_portal_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    record(world, year, world.a)
    recompute(year)
    client = client_for("head_a")
    client.get(portal_url("A01"))
    # 12, and 2 for the per-indicator drill-down (appraisal.selectors.indicator_breakdown: the
    # indicators and their tallies; at most 3 more with several scorers and ratio targets).
    with django_assert_num_queries(14) as few:
        client.get(portal_url("A01"))
    for i in range(20):
        inst = InstitutionFactory(code=f"X{i:03d}", group=world.g1)
        record(world, year, inst, points=f"-{i + 1}")
        record(world, year, world.a, points="-1")
    recompute(year)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(portal_url("A01"))
    assert response.context["p"].group_size == 22


def test_warnings_are_summed_by_kind_and_filtered(client_for, world, year):
    record(world, year, world.a, kind=LedgerEntry.Kind.VETO, points="30")
    recompute(year)
    response = client_for("hr").get(overview_url())
    summary = {code: n for code, _label, n in response.context["o"].warning_summary}
    assert summary == {"vetoed": 1, "no_report": 2}
    response = client_for("hr").get(overview_url() + "?warning=no_report")
    assert {w.institution.code for w in response.context["o"].shown_warnings} == {"A01", "B01"}
    assert 'data-kind="vetoed"' in response.content.decode()  # the other kinds stay choosable
    response = client_for("hr").get(overview_url() + "?warning=bogus")
    assert len(response.context["o"].shown_warnings) == 3
