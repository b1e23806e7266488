"""The result pages as every persona: the rankings per assessment group (with HR's recompute
button) and an institution's own result beside its ledger.

With the `year` fixture and no entries, A01 scores 300 + 0 + 400 = 700 (B1 is add-up, nothing
added yet), B01 and C01 1000 each; G1 holds A01 and C01, G2 holds B01."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from appraisal import selectors, services
from appraisal.models import LedgerEntry, Result, ResultSet
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY

from ..factories import InstitutionFactory
from ..personas import PERSONAS, statuses


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_pending_recompute(year):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    yield
    cache.delete(PENDING_KEY.format(year.scheme.pk))


def record(world, year, *, by="hr", institution=None, code="C1", points="-10", **kwargs):
    fields = {
        "institution": institution or world.a,
        "kind": LedgerEntry.Kind.INDICATOR,
        "indicator": year.indicators[code] if code else None,
        "period": "h1",
        "points": Decimal(points),
        "reason": "考核记录",
    }
    fields.update(kwargs)
    if fields["kind"] != LedgerEntry.Kind.INDICATOR:
        fields["indicator"], fields["period"] = None, "year"
    return services.ledger_entry_create(actor=world.users[by], scheme=year.scheme, **fields)


def recompute(year):
    return year_results_recompute(scheme_id=year.scheme.pk)


def check(client, persona, url, expected, method="get", data=None):
    response = getattr(client, method)(url, data or {})
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url, data)
    return response


# --- Who may open what ---------------------------------------------------------------------------

# url name, kwargs, GET params, expected status for:
#                                     hr  head_a head_b scorer accept payroll auditor norole
MATRIX = [
    ("appraisal:rankings", {"year": 2026}, {}, "200 403 403 200 403 403 200 403"),
    ("appraisal:rankings", {"year": 1999}, {}, "404 403 403 404 403 403 404 403"),
    ("appraisal:my_results", {"year": 2026}, {}, "403 200 200 403 403 200 403 403"),
    ("appraisal:my_results", {"year": 1999}, {}, "403 404 404 403 403 404 403 403"),
    (
        "appraisal:my_results",
        {"year": 2026},
        {"institution": "A01"},
        "403 200 404 403 403 200 403 403",
    ),
    (
        "appraisal:my_results",
        {"year": 2026},
        {"institution": "B01"},
        "403 404 200 403 403 404 403 403",
    ),
    ("appraisal:latest", {"page": "ledger"}, {}, "302 302 302 302 302 302 302 403"),
    ("appraisal:latest", {"page": "nope"}, {}, "404 404 404 404 404 404 404 403"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "params", "expected"),
    MATRIX,
    ids=[f"{m[0]}{m[1]}{m[2]}" for m in MATRIX],
)
def test_page_access(client_for, year, persona, name, kwargs, params, expected):
    recompute(year)
    check(client_for(persona), persona, reverse(name, kwargs=kwargs), expected, data=params)


@pytest.mark.parametrize("persona", PERSONAS)
def test_recompute_button_is_hr_only(client_for, year, persona, django_capture_on_commit_callbacks):
    url = reverse("appraisal:rankings_recompute", kwargs={"year": 2026})
    with django_capture_on_commit_callbacks(execute=True):
        check(client_for(persona), persona, url, "302 403 403 403 403 403 403 403", "post")
    assert ResultSet.objects.exists() == (persona == "hr")


def test_recompute_button_is_post_only(client_for, year):
    url = reverse("appraisal:rankings_recompute", kwargs={"year": 2026})
    assert client_for("hr").get(url).status_code == 405


def test_latest_goes_to_the_latest_open_year(client_for, year):
    response = client_for("hr").get(reverse("appraisal:latest", kwargs={"page": "rankings"}))
    assert response["Location"] == reverse("appraisal:rankings", kwargs={"year": 2026})


# --- Rankings ------------------------------------------------------------------------------------


def rows_by_code(response):
    return {r.institution.code: r for _group, rows in response.context["groups"] for r in rows}


def test_rankings_reflect_a_recompute(client_for, world, year):
    client = client_for("hr")
    url = reverse("appraisal:rankings", kwargs={"year": 2026})
    response = client.get(url)
    assert response.context["groups"] == []
    assert 'data-testid="results-stale"' in response.content.decode()

    recompute(year)
    rows = rows_by_code(client.get(url))
    assert rows["A01"].total == Decimal("700.00") and rows["A01"].rank == 2
    assert rows["A01"].grade == "unqualified" and rows["A01"].yellow_card

    # A01 earns 250 on its business indicator in each half and loses 12.5 on C1 in H1.
    record(world, year, code="B1", points="250", period="h1")
    record(world, year, code="B1", points="250", period="h2")
    record(world, year, points="-12.5")
    response = client.get(url)
    assert rows_by_code(response)["A01"].total == Decimal("700.00")  # not recomputed yet
    assert 'data-testid="results-stale"' in response.content.decode()

    recompute(year)
    response = client.get(url)
    client.cookies["django_language"] = "en"
    body = client.get(url).content.decode()
    assert 'data-testid="results-stale"' not in body
    groups = response.context["groups"]
    assert [(g.code, [r.institution.code for r in rows]) for g, rows in groups] == [
        ("G1", ["C01", "A01"]),
        ("G2", ["B01"]),
    ]
    a = rows_by_code(response)["A01"]
    assert (a.common, a.business, a.execution, a.total) == (
        Decimal("293.75"),
        Decimal("250.00"),
        Decimal("400.00"),
        Decimal("943.75"),
    )
    assert (a.rank, a.grade, a.prize_level, a.prize_amount) == (
        2,
        "qualified",
        2,
        Decimal("30000.00"),
    )
    row = re.search(r'<tr data-code="A01">.*?</tr>', body, re.S).group(0)
    for text in ("293.75", "250.00", "943.75", "Qualified", "Second prize", "¥30,000.00"):
        assert text in row, text
    assert 'data-flag="recommended"' in row
    # Gaps: 56.25 behind C01 (1000) to the unit above and to the first prize.
    assert a.gap_to_above == Decimal("56.25") and a.gap_to_next_prize == Decimal("56.25")
    # The gaps are the second view of the same rows, so that each view fits a laptop's screen.
    assert 'data-col="gap-above"' not in row
    gaps = client.get(url, {"view": "gaps"}).content.decode()
    row = re.search(r'<tr data-code="A01">.*?</tr>', gaps, re.S).group(0)
    assert re.search(r'data-col="gap-above">56.25<', row)
    assert re.search(r'data-col="gap-prize">56.25<', row)
    assert 'data-col="common"' not in row and "Second prize" in row


def test_veto_deductions_read_as_deductions(client_for, world, year):
    record(world, year, kind="veto", code=None, points="30")
    recompute(year)
    body = client_for("hr").get(reverse("appraisal:rankings", kwargs={"year": 2026}))
    row = re.search(r'<tr data-code="A01">.*?</tr>', body.content.decode(), re.S).group(0)
    veto = re.search(r'data-col="veto" href="[^"]+">(.*?)</a>', row).group(1)
    assert veto == '<span class="pts pts-minus">\u221230.00</span>'
    b_row = re.search(r'<tr data-code="B01">.*?</tr>', body.content.decode(), re.S).group(0)
    assert '<span class="pts pts-zero">0.00</span>' in b_row


@pytest.mark.parametrize(
    ("ordering", "g1"),
    [
        ("", ["C01", "A01"]),  # by rank
        ("rank", ["C01", "A01"]),
        ("-rank", ["A01", "C01"]),
        ("total", ["A01", "C01"]),
        ("-business", ["C01", "A01"]),
        ("common", ["A01", "C01"]),  # equal: by code
        ("institution", ["A01", "C01"]),
        ("-institution", ["C01", "A01"]),
        ("nonsense", ["C01", "A01"]),  # not a column: the usual order
    ],
)
def test_rankings_sort_within_each_group(client_for, world, year, ordering, g1):
    recompute(year)
    response = client_for("scorer").get(
        reverse("appraisal:rankings", kwargs={"year": 2026}), {"ordering": ordering}
    )
    groups = [
        (g.code, [r.institution.code for r in rows]) for g, rows in response.context["groups"]
    ]
    assert groups == [("G1", g1), ("G2", ["B01"])]  # the groups keep their order


def test_rankings_headers_sort_and_keep_the_view(client_for, year):
    recompute(year)
    url = reverse("appraisal:rankings", kwargs={"year": 2026})
    body = client_for("hr").get(url, {"view": "gaps", "ordering": "-total"}).content.decode()
    assert 'aria-sort="descending"' in body
    assert 'href="?view=gaps&amp;ordering=total"' in body
    assert 'href="?ordering=-total" aria-current' not in body
    assert 'href="?ordering=-total"' in body  # back to the scores, same order


def test_vetoed_and_flags_show(client_for, world, year):
    record(world, year, kind="veto", code=None, points="30")
    record(world, year, by="head_b", institution=world.b, is_official=False, points="-200")
    recompute(year)
    client = client_for("auditor")
    response = client.get(reverse("appraisal:rankings", kwargs={"year": 2026}))
    rows = rows_by_code(response)
    assert rows["A01"].vetoed and rows["B01"].self_gap_flag
    body = response.content.decode()
    a_row = re.search(r'<tr data-code="A01">.*?</tr>', body, re.S).group(0)
    b_row = re.search(r'<tr data-code="B01">.*?</tr>', body, re.S).group(0)
    assert 'data-flag="vetoed"' in a_row and 'data-flag="yellow-card"' in a_row
    assert 'data-flag="self-gap"' in b_row and 'data-flag="recommended"' in b_row
    assert 'data-testid="recompute"' not in body  # HR only


def test_every_figure_links_to_the_entries_that_make_it(client_for, world, year):
    c1 = record(world, year, points="-12")
    b1 = record(world, year, code="B1", points="100")
    e1 = record(world, year, code="E1", period="year", points="-4")
    bonus = record(world, year, kind="bonus", code=None, points="5")
    veto = record(world, year, kind="veto", code=None, points="2")
    self_a = record(world, year, by="head_a", is_official=False, points="-1")
    record(world, year, institution=world.c, points="-3")
    recompute(year)
    client = client_for("hr")
    body = client.get(reverse("appraisal:rankings", kwargs={"year": 2026})).content.decode()
    row = re.search(r'<tr data-code="A01">.*?</tr>', body, re.S).group(0)
    links = dict(re.findall(r'data-col="([\w-]+)" href="([^"]+)"', row))
    expected = {
        "common": {c1.pk},
        "business": {b1.pk},
        "execution": {e1.pk},
        "bonus": {bonus.pk},
        "veto": {veto.pk},
        "total": {c1.pk, b1.pk, e1.pk, bonus.pk, veto.pk},
    }
    assert set(links) == set(expected)
    for column, ids in expected.items():
        response = client.get(links[column].replace("&amp;", "&"))
        assert {e.pk for e in response.context["page_obj"]} == ids, column
    assert self_a.pk not in expected["total"]


def test_banner_says_when_a_recompute_is_under_way(client_for, year):
    recompute(year)
    cache.set(PENDING_KEY.format(year.scheme.pk), True)
    body = client_for("scorer").get(reverse("appraisal:rankings", kwargs={"year": 2026}))
    assert 'data-testid="results-pending"' in body.content.decode()


def test_hr_recompute_now_brings_results_up_to_date(
    client_for, world, year, django_capture_on_commit_callbacks
):
    recompute(year)
    record(world, year, points="-100")
    client = client_for("hr")
    url = reverse("appraisal:rankings", kwargs={"year": 2026})
    body = client.get(url).content.decode()
    assert 'data-testid="results-stale"' in body and 'data-testid="recompute"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appraisal:rankings_recompute", kwargs={"year": 2026}))
    assert response["Location"] == url
    response = client.get(url)
    assert 'data-testid="results-stale"' not in response.content.decode()
    assert rows_by_code(response)["A01"].common == Decimal("250.00")


@pytest.mark.parametrize("persona", ["hr", "scorer", "auditor"])
def test_rankings_query_count_is_fixed(client_for, world, year, persona, django_assert_num_queries):
    recompute(year)
    client = client_for(persona)
    url = reverse("appraisal:rankings", kwargs={"year": 2026})
    client.get(url)
    with django_assert_num_queries(8) as few:
        response = client.get(url)
    assert len(rows_by_code(response)) == 3
    for i in range(27):
        inst = InstitutionFactory(code=f"X{i:03d}", group=world.g1 if i % 2 else world.g2)
        record(world, year, institution=inst, points=f"-{i + 1}")
    recompute(year)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(rows_by_code(response)) == 30


@pytest.mark.parametrize(
    ("sizes", "pages"),
    [
        ([], []),
        ([3], [[0]]),
        ([1, 1, 1], [[0, 1], [2]]),
        ([2, 1, 1], [[0], [1, 2]]),  # pages of 2 rows
        ([5, 1], [[0], [1]]),  # a group larger than a page fills one alone
        ([1, 5, 1], [[0], [1], [2]]),
    ],
)
def test_groups_are_laid_out_on_pages_whole(sizes, pages):
    assert selectors.group_pages(sizes, 2) == pages


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=30), st.integers(1, 60))
def test_every_group_is_on_exactly_one_page_in_order(sizes, per_page):
    pages = selectors.group_pages(sizes, per_page)
    assert [i for page in pages for i in page] == list(range(len(sizes)))
    for page in pages:
        assert len(page) == 1 or sum(sizes[i] for i in page) <= per_page


def test_rankings_come_a_page_of_whole_groups_at_a_time(
    client_for, world, year, monkeypatch, django_assert_num_queries
):
    recompute(year)
    monkeypatch.setattr(selectors, "RANKING_ROWS_PER_PAGE", 2)  # G1 (2 rows), then G2 (1 row)
    client = client_for("hr")
    url = reverse("appraisal:rankings", kwargs={"year": 2026})
    with django_assert_num_queries(8):  # as many as with every group on one page
        response = client.get(url)
    assert [(g.code, len(rows)) for g, rows in response.context["groups"]] == [("G1", 2)]
    index = [(g.code, g.size, g.page) for g in response.context["index"]]
    assert index == [("G1", 2, 1), ("G2", 1, 2)]
    body = response.content.decode()
    # Every group is named on every page, with a link to the page that lists it.
    nav = re.search(r'data-testid="ranking-groups".*?</nav>', body, re.S).group(0)
    assert 'href="?page=2#group-G2"' in nav and 'href="?page=1#group-G1"' in nav
    assert 'rel="next"' in body and '<tr data-code="B01">' not in body

    response = client.get(url + "?page=2")
    assert [g.code for g, _rows in response.context["groups"]] == ["G2"]
    assert '<tr data-code="B01">' in response.content.decode()
    assert 'id="group-G2"' in response.content.decode()
    # A page out of range or not a number: the last page, the first page.
    assert response.context["page_obj"].number == 2
    assert client.get(url + "?page=9").context["page_obj"].number == 2
    assert client.get(url + "?page=x").context["page_obj"].number == 1


def test_rankings_fit_on_one_page_without_the_group_index(client_for, world, year):
    recompute(year)
    body = client_for("auditor").get(reverse("appraisal:rankings", kwargs={"year": 2026}))
    assert 'data-testid="ranking-groups"' not in body.content.decode()
    assert body.context["page_obj"].paginator.num_pages == 1


# --- An institution's own page -------------------------------------------------------------------


def test_head_sees_own_result_self_assessment_and_ledger(client_for, world, year):
    official = record(
        world,
        year,
        evidence=SimpleUploadedFile("证明.pdf", b"%PDF-1.4 x", content_type="application/pdf"),
    )
    self_a = record(world, year, by="head_a", is_official=False, points="-100")
    other = record(world, year, institution=world.b)
    recompute(year)
    client = client_for("head_a")
    client.cookies["django_language"] = "en"
    url = reverse("appraisal:my_results", kwargs={"year": 2026})
    response = client.get(url)
    own = response.context["own"]
    assert own.institution == world.a and own.group_size == 2
    r = own.result
    assert (r.total, r.self_total, r.self_gap_flag) == (
        Decimal("695.00"),
        Decimal("650.00"),
        False,
    )
    assert {e.pk for e in response.context["page_obj"]} == {official.pk, self_a.pk}
    body = response.content.decode()
    assert "乙机构" not in body and f'data-entry="{other.pk}"' not in body
    assert re.search(r'data-col="total"><strong>695.00<', body)
    assert re.search(r'data-col="self-total">650.00', body)
    assert "2 of 2 in 第一组" in body
    evidence = reverse("appraisal:evidence", kwargs={"pk": official.pk})
    assert evidence in body
    assert client.get(evidence).status_code == 200
    new = reverse("appraisal:entry_create", kwargs={"year": 2026})
    assert f"{new}?institution=A01" in body


def test_large_self_assessment_gap_is_flagged(client_for, world, year):
    record(world, year, by="head_a", is_official=False, code="B1", points="300")
    recompute(year)
    response = client_for("head_a").get(reverse("appraisal:my_results", kwargs={"year": 2026}))
    r = response.context["own"].result
    assert (r.total, r.self_total, r.self_gap_flag) == (
        Decimal("700.00"),
        Decimal("850.00"),
        True,
    )
    assert 'data-flag="self-gap"' in response.content.decode()


def test_head_page_before_any_recompute(client_for, year):
    response = client_for("head_b").get(reverse("appraisal:my_results", kwargs={"year": 2026}))
    assert response.context["own"].result is None
    assert 'data-testid="no-result"' in response.content.decode()


def test_payroll_sees_bound_institution_result_without_ledger(client_for, world, year):
    entry = record(world, year)
    recompute(year)
    client = client_for("payroll")
    response = client.get(
        reverse("appraisal:my_results", kwargs={"year": 2026}), {"institution": "A01"}
    )
    assert response.context["own"].result.institution == world.a
    assert response.context["page_obj"] is None
    assert f'data-entry="{entry.pk}"' not in response.content.decode()


def test_head_without_an_institution_is_told_so(client_for, world, year):
    world.a.head = None
    world.a.save()
    response = client_for("head_a").get(reverse("appraisal:my_results", kwargs={"year": 2026}))
    assert response.status_code == 200
    assert 'data-testid="no-institution"' in response.content.decode()


def test_my_results_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    record(world, year)
    recompute(year)
    client = client_for("head_a")
    url = reverse("appraisal:my_results", kwargs={"year": 2026})
    client.get(url)
    # 11: the state of the results reads the result set once (it read it twice, 12 queries);
    # 13 with the per-indicator drill-down (selectors.indicator_breakdown: the indicators and
    # their tallies; at most three more with several scorers and completion-ratio targets).
    with django_assert_num_queries(13) as few:
        client.get(url)
    for i in range(30):
        record(world, year, points=f"-{i + 1}")
        record(world, year, by="head_a", is_official=False, points="-1")
    for i in range(10):
        InstitutionFactory(code=f"X{i:03d}", group=world.g1)
    recompute(year)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 50
    assert response.context["own"].group_size == 12
    assert Result.objects.count() == 13
