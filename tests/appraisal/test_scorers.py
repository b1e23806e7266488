"""Several scorers per indicator (几人评分, issue 17): the engine's three rules, the service that
sets an indicator's scorers, who may score, and the drill-down — over the `year` fixture.

The worked example of docs/SCORING.md ("Several scorers"): E1 重点工作 (execution capacity,
deduct, max 400, department DC 督查室) is scored for A01 by DC (a second scorer user), AQ (the
`scorer` persona) and the leader 王局长: DC −10, AQ −20, the leader −5.

| rule | scorers' own scores | E1 |
|---|---|---|
| sum | one tally −35 | 365.00 |
| average | 390, 380, 395 | 1165 / 3 = 388.33 |
| weighted 0.5 / 0.3 / 0.2 | 390, 380, 395 | 195 + 114 + 79 = 388.00 |
"""

import itertools
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from appraisal import engine, services
from appraisal.models import Aggregation, IndicatorScorer, LedgerEntry, Result, Scheme
from appraisal.recompute import year_results_recompute
from appraisal.services import ScorerSpec
from orgs.models import AuditEvent, Role

from ..factories import UserFactory

D = Decimal
API = "/api/v1/"


# --- The engine ----------------------------------------------------------------------------------


def _rule(aggregation, weights=(None, None, None), method=engine.Method.DEDUCT, max_points="400"):
    return engine.IndicatorRule(
        code="E1",
        part=engine.Part.EXECUTION,
        method=method,
        max_points=D(max_points),
        aggregation=aggregation,
        scorers=tuple(
            engine.Scorer(key=k, weight=None if w is None else D(w))
            for k, w in zip(("d1", "d2", "l3"), weights, strict=True)
        ),
    )


TALLIES = {"d1": D("-10"), "d2": D("-20"), "l3": D("-5")}


def test_engine_average_is_the_mean_of_each_scorers_own_score():
    rule = _rule(engine.Aggregation.AVERAGE)
    parts = engine.scorer_parts(rule, TALLIES)
    assert parts == {"d1": D("390"), "d2": D("380"), "l3": D("395")}
    assert engine.round_points(engine.combined_score(rule, parts)) == D("388.33")


def test_engine_weighted_is_the_weighted_sum():
    rule = _rule(engine.Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    parts = engine.scorer_parts(rule, TALLIES)
    assert engine.combined_score(rule, parts) == D("388.00")


def test_engine_sum_is_one_tally_scored_once():
    rule = _rule(engine.Aggregation.SUM)
    assert not rule.per_scorer
    data = engine.InstitutionInput(
        code="A01", group="G1", indicators=[rule], tallies={("E1", engine.Period.YEAR): D("-35")}
    )
    assert engine.institution_compute(_rules(), data).execution == D("365.00")


def test_engine_a_scorer_who_entered_nothing_has_full_marks_on_deduct_and_zero_on_add():
    deduct = _rule(engine.Aggregation.AVERAGE)
    assert engine.scorer_parts(deduct, {"d1": D("-30")}) == {
        "d1": D("370"),
        "d2": D("400"),
        "l3": D("400"),
    }
    add = _rule(engine.Aggregation.AVERAGE, method=engine.Method.ADD, max_points="30")
    parts = engine.scorer_parts(add, {"d1": D("30"), "d2": D("45")})  # 45 is clamped to 30
    assert parts == {"d1": D("30"), "d2": D("30"), "l3": D("0")}
    assert engine.combined_score(add, parts) == D("20")


def test_engine_points_of_an_unlisted_scorer_do_not_count_in_an_average():
    rule = _rule(engine.Aggregation.AVERAGE)
    assert engine.scorer_parts(rule, {"d9": D("-100")}) == dict.fromkeys(
        ("d1", "d2", "l3"), D("400")
    )


def test_engine_ratio_indicators_are_never_per_scorer():
    rule = engine.IndicatorRule(
        code="B1",
        part=engine.Part.BUSINESS,
        method=engine.Method.RATIO,
        max_points=D("300"),
        direction=engine.Direction.HIGHER,
        aggregation=engine.Aggregation.AVERAGE,
        scorers=(engine.Scorer("d1"), engine.Scorer("d2")),
    )
    assert not rule.per_scorer


def _rules():
    return engine.Rules(
        part_max={p: D("0") for p in engine.Part},
        qualify_line=D("800"),
        veto_line=D("30"),
        bonus_cap=D("20"),
    )


def test_engine_institution_compute_reports_each_scorers_part():
    rule = _rule(engine.Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    data = engine.InstitutionInput(
        code="A01",
        group="G1",
        indicators=[rule],
        tallies={("E1", engine.Period.YEAR): D("-35")},
        scorer_tallies={("E1", engine.Period.YEAR): TALLIES},
    )
    outcome = engine.institution_compute(_rules(), data)
    assert outcome.execution == D("388.00")
    assert outcome.scorer_scores[("E1", engine.Period.YEAR)] == {
        "d1": D("390"),
        "d2": D("380"),
        "l3": D("395"),
    }


POINTS = st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False)


@given(part=st.decimals(min_value=-400, max_value=0, places=2), n=st.integers(1, 6))
def test_property_the_average_of_equal_parts_is_the_part(part, n):
    keys = [f"d{i}" for i in range(n)]
    rule = engine.IndicatorRule(
        code="X",
        part=engine.Part.EXECUTION,
        method=engine.Method.DEDUCT,
        max_points=D("400"),
        aggregation=engine.Aggregation.AVERAGE,
        scorers=tuple(engine.Scorer(k) for k in keys),
    )
    parts = engine.scorer_parts(rule, dict.fromkeys(keys, part))
    assert engine.combined_score(rule, parts) == engine.indicator_score(rule, part)


@st.composite
def _weights(draw):
    """2 to 5 weights of up to 4 decimals, each above 0, adding up to exactly 1."""
    n = draw(st.integers(2, 5))
    cuts = sorted(draw(st.sets(st.integers(1, 9999), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10000]
    return [D(b - a) / 10000 for a, b in itertools.pairwise(bounds)]


@given(weights=_weights(), data=st.data(), method=st.sampled_from(["deduct", "add"]))
def test_property_weights_adding_to_one_stay_within_zero_and_max(weights, data, method):
    keys = [f"d{i}" for i in range(len(weights))]
    rule = engine.IndicatorRule(
        code="X",
        part=engine.Part.EXECUTION,
        method=engine.Method(method),
        max_points=D("400"),
        aggregation=engine.Aggregation.WEIGHTED,
        scorers=tuple(engine.Scorer(k, w) for k, w in zip(keys, weights, strict=True)),
    )
    tallies = {k: data.draw(POINTS) for k in keys}
    score = engine.combined_score(rule, engine.scorer_parts(rule, tallies))
    assert D(0) <= score <= D(400)


# --- Fixtures of the worked example --------------------------------------------------------------


@pytest.fixture
def scorer_dc(year):
    """A second scorer, of DC 督查室 (E1's own department)."""
    return UserFactory(
        username="scorer_dc", name="督查员", role=Role.SCORER, scoring_department=year.dc
    )


def _specs(world, year, weights=(None, None, None)):
    w = [None if x is None else D(x) for x in weights]
    return [
        ScorerSpec(department=year.dc, weight=w[0]),
        ScorerSpec(department=world.dept, weight=w[1]),
        ScorerSpec(leader=world.users["leader"], weight=w[2]),
    ]


def _set(world, year, aggregation, weights=(None, None, None)):
    return services.indicator_scorers_set(
        actor=world.users["hr"],
        indicator=year.indicators["E1"],
        aggregation=aggregation,
        scorers=_specs(world, year, weights),
    )


def _api(client, method, url, body=None):
    if body is None:
        return getattr(client, method)(API + url)
    return getattr(client, method)(API + url, json.dumps(body), content_type="application/json")


def _score_through_the_api(client_for, world):
    for persona, points in (("scorer_dc", "-10"), ("scorer", "-20"), ("leader", "-5")):
        response = _api(
            client_for(persona),
            "post",
            "entries/",
            {
                "year": 2026,
                "institution": "A01",
                "kind": "indicator",
                "indicator": "E1",
                "period": "year",
                "points": points,
                "reason": f"{persona} 扣分",
            },
        )
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "counted"


@pytest.fixture
def client_for(world, client_for):
    """The personas of tests/conftest.py, and `scorer_dc` (made by the scorer_dc fixture)."""
    from django.test import Client

    from ..factories import PASSWORD

    def make(persona):
        if persona == "scorer_dc":
            client = Client()
            assert client.login(username="scorer_dc", password=PASSWORD)
            return client
        return client_for(persona)

    return make


def _execution(institution):
    return Result.objects.get(institution=institution).execution


# --- The worked example, end to end --------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggregation", "weights", "expected"),
    [
        (Aggregation.SUM, (None, None, None), D("365.00")),
        (Aggregation.AVERAGE, (None, None, None), D("388.33")),
        (Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"), D("388.00")),
    ],
)
def test_a_leader_and_two_departments_score_e1(
    client_for, world, year, scorer_dc, aggregation, weights, expected
):
    _set(world, year, aggregation, weights)
    _score_through_the_api(client_for, world)
    entries = {e.created_by.username: e for e in LedgerEntry.objects.select_related("created_by")}
    assert (entries["leader"].leader, entries["leader"].department) == (world.users["leader"], None)
    assert entries["scorer"].department == world.dept  # AQ's part, on DC's indicator
    assert entries["scorer_dc"].department == year.dc
    year_results_recompute(scheme_id=year.scheme.pk)
    assert _execution(world.a) == expected
    assert _execution(world.b) == D("400.00")  # nobody scored B01: every part full marks


def test_hr_entries_are_the_departments_part(client_for, world, year, scorer_dc):
    _set(world, year, Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    _score_through_the_api(client_for, world)
    services.ledger_entry_create(
        actor=world.users["hr"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["E1"], period="year", points=D("-4"), reason="HR 扣分",
    )  # fmt: skip
    year_results_recompute(scheme_id=year.scheme.pk)
    # DC's part 400 − 14 = 386: 0.5 × 386 + 0.3 × 380 + 0.2 × 395 = 193 + 114 + 79.
    assert _execution(world.a) == D("386.00")


def test_a_reversed_leader_entry_stays_the_leaders_part(client_for, world, year, scorer_dc):
    _set(world, year, Aggregation.AVERAGE)
    _score_through_the_api(client_for, world)
    entry = LedgerEntry.objects.get(leader=world.users["leader"])
    response = _api(client_for("leader"), "post", f"entries/{entry.pk}/reverse/", {"reason": "错"})
    assert response.status_code == 201, response.json()
    reversal = LedgerEntry.objects.get(reverses=entry)
    assert (reversal.leader, reversal.department) == (world.users["leader"], None)
    year_results_recompute(scheme_id=year.scheme.pk)
    assert _execution(world.a) == D("390.00")  # (390 + 380 + 400) / 3


def test_the_pages_score_and_show_each_scorers_part(client_for, world, year, scorer_dc):
    _set(world, year, Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    for persona, points in (("scorer_dc", "-10"), ("scorer", "-20"), ("leader", "-5")):
        client = client_for(persona)
        url = reverse("appraisal:entry_create", kwargs={"year": 2026})
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {"institution": "A01", "kind": "indicator", "indicator": "E1", "period": "year",
             "points": points, "reason": "扣分"},
        )  # fmt: skip
        assert response.status_code == 302, response.context["form"].errors
    year_results_recompute(scheme_id=year.scheme.pk)
    assert _execution(world.a) == D("388.00")

    # The leader's scoring grid shows E1 only, with the combined score.
    grid = client_for("leader").get(reverse("appraisal:scoring_grid", kwargs={"year": 2026}))
    assert grid.status_code == 200
    columns = [c.indicator.code for c in grid.context["grid"].columns]
    assert columns == ["E1"]
    row = next(r for r in grid.context["grid"].rows if r.institution == world.a)
    assert row.cells[0].score == D("388.00")

    # The drill-down: each scorer's part, weight and own score, and the combined score.
    for client, url in (
        (client_for("leader"), reverse("appraisal:my_results", kwargs={"year": 2026})),
        (client_for("hr"), reverse("dashboard:portal", kwargs={"year": 2026, "code": "A01"})),
        (client_for("head_a"), reverse("appraisal:my_results", kwargs={"year": 2026})),
    ):
        response = client.get(url)
        assert response.status_code == 200
        line = next(ln for ln in response.context["breakdown"] if ln.indicator.code == "E1")
        assert line.score == D("388.00")
        assert [(p.name, p.weight, p.score) for p in line.parts] == [
            ("督查室", D("0.5"), D("390.00")),
            ("安全生产科", D("0.3"), D("380.00")),
            ("王局长", D("0.2"), D("395.00")),
        ]
        body = response.content.decode()
        table = re.search(r'data-testid="indicator-breakdown".*?</table>', body, re.S).group(0)
        assert "王局长" in table and "388.00" in table and "395.00" in table


def test_ledger_page_works_for_a_leader(client_for, world, year, scorer_dc):
    _set(world, year, Aggregation.AVERAGE)
    _score_through_the_api(client_for, world)
    response = client_for("leader").get(reverse("appraisal:ledger", kwargs={"year": 2026}))
    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    # Their own entry and every official entry of their 联系单位 A01.
    assert {e.created_by.username for e in rows} == {"leader", "scorer", "scorer_dc"}
    mine = next(e for e in rows if e.created_by.username == "leader")
    assert mine.reversible
    assert not any(e.reversible for e in rows if e.created_by.username != "leader")


# --- Who may score -------------------------------------------------------------------------------


def _entry(client, **overrides):
    body = {
        "year": 2026, "institution": "A01", "kind": "indicator", "indicator": "E1",
        "period": "year", "points": "-5", "reason": "扣分",
    } | overrides  # fmt: skip
    return _api(client, "post", "entries/", body)


def test_a_leader_scores_only_where_named_and_only_indicator_points(client_for, world, year):
    leader = client_for("leader")
    assert _entry(leader).status_code == 403  # not named on E1 yet
    _set(world, year, Aggregation.AVERAGE)
    assert _entry(leader, indicator="C1", period="h1").status_code == 403
    bonus = _entry(leader, kind="bonus", indicator="", points="5")
    assert bonus.status_code == 400 and "kind" in bonus.json()
    veto = _entry(leader, kind="veto", indicator="", points="5")
    assert veto.status_code == 400
    selfish = _entry(leader, is_official=False)
    assert selfish.status_code == 403
    assert _entry(leader, institution="B01").status_code == 201  # any institution E1 applies to
    page = leader.get(reverse("appraisal:entry_create", kwargs={"year": 2026}))
    assert [c for c, _label in page.context["form"].fields["kind"].choices] == ["indicator"]


def test_a_scorer_scores_indicators_their_department_is_listed_on(client_for, world, year):
    scorer = client_for("scorer")
    assert _entry(scorer).status_code == 403  # E1 is DC's
    _set(world, year, Aggregation.SUM)
    assert _entry(scorer).status_code == 201
    assert _entry(scorer, indicator="B1", period="h1", points="5").status_code == 403


def test_a_leader_sees_only_their_contact_institutions_results(client_for, world, year):
    year_results_recompute(scheme_id=year.scheme.pk)
    leader = client_for("leader")
    results = _api(leader, "get", "results/?year=2026").json()["results"]
    assert [r["institution"] for r in results] == ["A01"]
    mine = reverse("appraisal:my_results", kwargs={"year": 2026})
    assert leader.get(mine).context["institution"] == world.a
    assert leader.get(mine, {"institution": "B01"}).status_code == 404
    entries = _api(leader, "get", "entries/").json()["results"]
    assert entries == []


def test_a_leader_sees_entries_of_their_contact_institutions_only(client_for, world, year):
    for inst in (world.a, world.b):
        services.ledger_entry_create(
            actor=world.users["hr"], scheme=year.scheme, institution=inst, kind="indicator",
            indicator=year.indicators["C1"], period="h1", points=D("-3"), reason="x",
        )  # fmt: skip
    entries = _api(client_for("leader"), "get", "entries/").json()["results"]
    assert [e["institution"] for e in entries] == ["A01"]


# --- indicator_scorers_set -----------------------------------------------------------------------


def _refused(world, year, aggregation, scorers, indicator="E1"):
    with pytest.raises(ValidationError) as e:
        services.indicator_scorers_set(
            actor=world.users["hr"],
            indicator=year.indicators[indicator],
            aggregation=aggregation,
            scorers=scorers,
        )
    return " ".join(e.value.message_dict["scorers"])


def test_scorers_set_is_audited_and_marks_results_stale(world, year):
    before = Scheme.objects.get(pk=year.scheme.pk).inputs_version
    _set(world, year, Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    e1 = year.indicators["E1"]
    e1.refresh_from_db()
    assert e1.aggregation == Aggregation.WEIGHTED
    assert [(s.key, s.weight) for s in e1.scorers.all()] == [
        (f"d{year.dc.pk}", D("0.5")),
        (f"d{world.dept.pk}", D("0.3")),
        (f"l{world.users['leader'].pk}", D("0.2")),
    ]
    assert Scheme.objects.get(pk=year.scheme.pk).inputs_version == before + 1
    event = AuditEvent.objects.get(action="indicator.scorers")
    assert event.after == {
        "aggregation": "weighted",
        "scorers": [
            {"department": "DC", "leader": None, "weight": "0.5"},
            {"department": "AQ", "leader": None, "weight": "0.3"},
            {"department": None, "leader": "leader", "weight": "0.2"},
        ],
    }


def test_weights_are_required_for_weighted_and_add_up_to_exactly_one(world, year):
    assert "weight above 0" in _refused(world, year, "weighted", _specs(world, year))
    message = _refused(world, year, "weighted", _specs(world, year, ("0.5", "0.3", "0.3")))
    assert "add up to 1.1; they must add up to exactly 1" in message
    assert "Only a weighted average" in _refused(
        world, year, "average", _specs(world, year, ("0.5", "0.3", "0.2"))
    )


def test_the_indicators_own_department_is_among_average_scorers(world, year):
    scorers = [ScorerSpec(department=world.dept), ScorerSpec(leader=world.users["leader"])]
    assert "own department (DC)" in _refused(world, year, "average", scorers)
    assert "at least two" in _refused(world, year, "average", [ScorerSpec(department=year.dc)])


def test_a_leader_scorer_is_an_active_leader(world, year):
    scorers = [ScorerSpec(department=year.dc), ScorerSpec(leader=world.users["head_a"])]
    assert "head_a is not an active leader" in _refused(world, year, "sum", scorers)
    leader = world.users["leader"]
    leader.is_active = False
    leader.save()
    scorers = [ScorerSpec(department=year.dc), ScorerSpec(leader=leader)]
    assert "leader is not an active leader" in _refused(world, year, "sum", scorers)


def test_no_scorer_twice(world, year):
    scorers = [ScorerSpec(department=year.dc), ScorerSpec(department=year.dc)]
    assert "DC is listed twice" in _refused(world, year, "sum", scorers)


def test_a_scorer_with_entries_stays(client_for, world, year):
    _set(world, year, Aggregation.AVERAGE)
    assert _entry(client_for("leader")).status_code == 201
    scorers = [ScorerSpec(department=year.dc), ScorerSpec(department=world.dept)]
    assert "王局长 has entries on E1 and stays" in _refused(world, year, "average", scorers)


def test_ratio_indicators_have_no_several_scorers(world, year):
    from appraisal.models import Indicator

    b1 = year.indicators["B1"]
    Indicator.objects.filter(pk=b1.pk).update(method="ratio", direction="higher")
    scorers = [ScorerSpec(department=year.dj), ScorerSpec(department=world.dept)]
    assert "completion-ratio" in _refused(world, year, "sum", scorers, indicator="B1")


def test_scorers_change_until_published_by_hr_only(world, year):
    with pytest.raises(PermissionDenied):
        services.indicator_scorers_set(
            actor=world.users["scorer"],
            indicator=year.indicators["E1"],
            aggregation="sum",
            scorers=[],
        )
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    with pytest.raises(ValidationError, match="published and locked"):
        _set(world, year, Aggregation.AVERAGE)
    assert not IndicatorScorer.objects.exists()


# --- API and pages of the scorers ----------------------------------------------------------------


def test_api_reads_and_writes_the_scorers(client_for, world, year):
    url = f"indicators/{year.indicators['E1'].pk}/"
    assert _api(client_for("scorer"), "get", url).json()["scorers"] == []
    body = {
        "aggregation": "weighted",
        "scorers": [
            {"department": "DC", "leader": None, "weight": "0.5"},
            {"department": "AQ", "weight": "0.3"},
            {"leader": "leader", "weight": "0.2"},
        ],
    }
    response = _api(client_for("hr"), "patch", url, body)
    assert response.status_code == 200, response.json()
    assert response.json()["aggregation"] == "weighted"
    assert response.json()["scorers"] == [
        {"department": "DC", "leader": None, "weight": "0.5"},
        {"department": "AQ", "leader": None, "weight": "0.3"},
        {"department": None, "leader": "leader", "weight": "0.2"},
    ]
    bad = _api(client_for("hr"), "patch", url, {"aggregation": "average"})  # weights kept
    assert bad.status_code == 400 and "Only a weighted average" in " ".join(bad.json()["scorers"])
    assert _api(client_for("scorer"), "patch", url, body).status_code == 403


def test_indicator_page_sets_the_scorers_of_an_open_year(client_for, world, year):
    e1 = year.indicators["E1"]
    url = reverse("appraisal:indicator_edit", kwargs={"year": 2026, "pk": e1.pk})
    client = client_for("hr")
    page = client.get(url)
    assert page.status_code == 200 and "scorers-TOTAL_FORMS" in page.content.decode()
    data = {
        "aggregation": "weighted", "max_points": "1",  # ignored: the year is open
        "scorers-TOTAL_FORMS": "4", "scorers-INITIAL_FORMS": "0",
        "scorers-MIN_NUM_FORMS": "0", "scorers-MAX_NUM_FORMS": "20",
        "scorers-0-department": year.dc.pk, "scorers-0-weight": "0.5",
        "scorers-1-department": world.dept.pk, "scorers-1-weight": "0.3",
        "scorers-2-leader": world.users["leader"].pk, "scorers-2-weight": "0.2",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    e1.refresh_from_db()
    assert (e1.aggregation, e1.max_points, e1.scorers.count()) == ("weighted", D("400"), 3)
    detail = client.get(reverse("appraisal:scheme_detail", kwargs={"year": 2026}))
    assert "王局长 ×0.2" in detail.content.decode()

    response = client.post(url, {**data, "scorers-2-weight": "0.3"})
    assert response.status_code == 200
    assert "they must add up to exactly 1" in response.content.decode()


def test_a_new_year_copies_the_scorers_and_a_draft_changes_them_with_the_indicator(
    client_for, world, year
):
    _set(world, year, Aggregation.WEIGHTED, ("0.5", "0.3", "0.2"))
    draft = services.scheme_create(actor=world.users["hr"], year=2027)
    e1 = draft.indicators.get(code="E1")
    assert e1.aggregation == Aggregation.WEIGHTED
    assert [(s.department_id, s.leader_id, s.weight) for s in e1.scorers.all()] == [
        (year.dc.pk, None, D("0.5")),
        (world.dept.pk, None, D("0.3")),
        (None, world.users["leader"].pk, D("0.2")),
    ]
    url = reverse("appraisal:indicator_edit", kwargs={"year": 2027, "pk": e1.pk})
    data = {
        "code": "E1", "part": "execution", "name": "重点工作", "max_points": "400",
        "method": "deduct", "direction": "", "department": year.dc.pk, "applies_to_all": "on",
        "sort_order": "0", "aggregation": "average",
        "scorers-TOTAL_FORMS": "3", "scorers-INITIAL_FORMS": "0",
        "scorers-MIN_NUM_FORMS": "0", "scorers-MAX_NUM_FORMS": "20",
        "scorers-0-department": year.dc.pk, "scorers-1-leader": world.users["leader"].pk,
    }  # fmt: skip
    response = client_for("hr").post(url, data)
    assert response.status_code == 302
    e1.refresh_from_db()
    assert (e1.name, e1.aggregation, e1.scorers.count()) == ("重点工作", "average", 2)
    event = AuditEvent.objects.filter(action="indicator.update").latest("id")
    assert event.after["aggregation"] == "average" and len(event.after["scorers"]) == 2
    # A department of an average that is not among its scorers is refused, page and service.
    response = client_for("hr").post(url, {**data, "department": world.dept.pk})
    assert response.status_code == 200
    assert "own department (AQ) is one of its scorers" in response.content.decode()


# --- The year workbook: 评分规则 and 评分人 -----------------------------------------------------


def _workbook_with_scorers(scorers, rule="加权"):
    from .workbooks import INDICATORS, full_year

    sheets = full_year()
    header, *rows = sheets["指标"]
    sheets["指标"] = [
        [*header, "评分规则", "评分人"],
        *([*row, rule, scorers] if row[0] == "E1" else row for row in rows),
    ]
    assert header == INDICATORS
    return sheets


@pytest.fixture
def departments(world):
    from ..factories import ScoringDepartmentFactory
    from .workbooks import DEPARTMENTS

    return {
        code: ScoringDepartmentFactory(code=code, name=name) for code, name in DEPARTMENTS.items()
    }


def test_the_year_workbook_sets_the_scorers(world, departments):
    from appraisal.transfer import year_workbook_import

    from .workbooks import upload

    sheets = _workbook_with_scorers("督查室:0.5, AQ：0.3，leader:0.2")
    year_workbook_import(actor=world.users["hr"], file=upload(sheets))
    e1 = Scheme.objects.get(year=2025).indicators.get(code="E1")
    assert e1.aggregation == Aggregation.WEIGHTED
    assert [(s.key, s.weight) for s in e1.scorers.all()] == [
        (f"d{departments['DC'].pk}", D("0.5")),
        (f"d{departments['AQ'].pk}", D("0.3")),
        (f"l{world.users['leader'].pk}", D("0.2")),
    ]
    # The workbook's E1 entries are HR's, so DC's part: A01 has −3 and −2.5 on E1.
    # 0.5 × 394.5 + 0.3 × 400 + 0.2 × 400 = 197.25 + 120 + 80.
    assert Result.objects.get(scheme__year=2025, institution__code="A01").execution == D("397.25")


@pytest.mark.parametrize(
    ("scorers", "message"),
    [
        ("督查室:0.5, AQ:0.3, leader:0.1", "they must add up to exactly 1"),
        ("督查室:0.5, 无此人:0.5", "No scoring department or leader account is called 无此人"),
        ("AQ:0.5, leader:0.5", "own department (DC)"),
    ],
)
def test_the_year_workbook_refuses_wrong_scorers(world, departments, scorers, message):
    from appraisal.transfer import year_workbook_import
    from orgs.importing import ImportFailed

    from .workbooks import upload

    with pytest.raises(ImportFailed) as caught:
        year_workbook_import(actor=world.users["hr"], file=upload(_workbook_with_scorers(scorers)))
    errors = [(e.sheet, e.column, e.message) for e in caught.value.errors]
    assert any(s == "指标" and c == "评分人" and message in m for s, c, m in errors), errors
    assert not Scheme.objects.filter(year=2025).exists()


def test_an_open_years_workbook_must_name_the_same_scorers(world, departments):
    from appraisal.transfer import year_workbook_import
    from orgs.importing import ImportFailed

    from .workbooks import upload

    hr = world.users["hr"]
    year_workbook_import(
        actor=hr, file=upload(_workbook_with_scorers("DC:0.5, AQ:0.3, leader:0.2"))
    )
    assert Scheme.objects.get(year=2025).status == Scheme.Status.OPEN
    # The same scorers again: accepted (the entries of the 评分 sheet are replaced).
    year_workbook_import(
        actor=hr, file=upload(_workbook_with_scorers("督查室:0.5, AQ:0.3, leader:0.2"))
    )
    with pytest.raises(ImportFailed) as caught:
        year_workbook_import(actor=hr, file=upload(_workbook_with_scorers("DC, leader", "平均")))
    assert any("change the scorers of E1 on its page" in e.message for e in caught.value.errors)


def test_grid_and_drilldown_query_counts_stay_fixed_with_several_scorers(
    client_for, world, year, django_assert_num_queries
):
    from ..factories import InstitutionFactory

    _set(world, year, Aggregation.AVERAGE)
    hr = world.users["hr"]

    def score(institution, points):
        services.ledger_entry_create(
            actor=hr, scheme=year.scheme, institution=institution, kind="indicator",
            indicator=year.indicators["E1"], period="year", points=D(points), reason="扣分",
        )  # fmt: skip

    score(world.a, "-1")
    year_results_recompute(scheme_id=year.scheme.pk)
    client = client_for("hr")
    grid = reverse("appraisal:scoring_grid", kwargs={"year": 2026})
    mine = reverse("appraisal:my_results", kwargs={"year": 2026})
    head = client_for("head_a")
    client.get(grid)  # warm the sessions
    head.get(mine)
    # The grid's 9, and 2 for the several scorers (their rows, each one's sums); the head's page
    # its 13, and 2 for them (the scorers with their names, each one's sums).
    with django_assert_num_queries(11) as grid_few:
        client.get(grid)
    with django_assert_num_queries(15) as mine_few:
        head.get(mine)
    for i in range(15):
        score(InstitutionFactory(code=f"X{i:03d}", group=world.g1), f"-{i + 1}")
        score(world.a, "-1")
    year_results_recompute(scheme_id=year.scheme.pk)
    with django_assert_num_queries(len(grid_few.captured_queries)):
        client.get(grid)
    with django_assert_num_queries(len(mine_few.captured_queries)):
        response = head.get(mine)
    line = next(ln for ln in response.context["breakdown"] if ln.indicator.code == "E1")
    assert line.score == D("394.67")  # DC's part 384, the others' 400: 1184 / 3
