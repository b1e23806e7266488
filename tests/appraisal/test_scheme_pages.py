"""HR's pages for the yearly scheme and for approvals, as every persona. Every role reads the
scheme; only HR changes it or decides proposals. Out of scope answers 404, a role that may never
do something 403, anonymous users are sent to the login page."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.models import EntryDecision, Indicator, LedgerEntry, Scheme, Target
from appraisal.recompute import year_results_recompute
from orgs.models import AuditEvent

from ..personas import PERSONAS, SIGNED_IN, statuses

# url name, kwargs ("C1" stands for that indicator's pk), expected status for:
# hr head_a head_b scorer acceptance payroll auditor norole
# (anonymous is always sent to the login page)
MATRIX = [
    ("appraisal:scheme_list", {}, "200 200 200 200 200 200 200 403"),
    ("appraisal:scheme_detail", {"year": 2026}, "200 200 200 200 200 200 200 403"),
    ("appraisal:scheme_detail", {"year": 1999}, "404 404 404 404 404 404 404 403"),
    ("appraisal:scheme_settings", {"year": 2026}, "200 403 403 403 403 403 403 403"),
    ("appraisal:scheme_settings", {"year": 1999}, "404 403 403 403 403 403 403 403"),
    ("appraisal:indicator_create", {"year": 2026}, "200 403 403 403 403 403 403 403"),
    ("appraisal:indicator_edit", {"year": 2026, "pk": "C1"}, "200 403 403 403 403 403 403 403"),
    ("appraisal:indicator_edit", {"year": 2026, "pk": 999999}, "404 403 403 403 403 403 403 403"),
    ("appraisal:scheme_targets", {"year": 2026}, "200 403 403 200 403 403 403 403"),
    ("appraisal:approvals", {}, "200 403 403 403 403 403 403 403"),
]
NON_HR = [p for p in SIGNED_IN if p != "hr"]


def _url(name, kwargs, year):
    kwargs = {k: year.indicators[v].pk if v in year.indicators else v for k, v in kwargs.items()}
    return reverse(name, kwargs=kwargs)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), MATRIX, ids=[f"{m[0]}{m[1]}" for m in MATRIX]
)
def test_page_access(client_for, year, persona, name, kwargs, expected):
    url = _url(name, kwargs, year)
    response = client_for(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url)


def test_indicator_of_another_year_is_not_found(client_for, year):
    other = Scheme.objects.create(year=2020)
    url = reverse(
        "appraisal:indicator_edit", kwargs={"year": other.year, "pk": year.indicators["C1"].pk}
    )
    assert client_for("hr").get(url).status_code == 404


# --- Non-HR writes --------------------------------------------------------------------------------


def _settings_post(**overrides):
    data = {
        "common_max": "300",
        "business_max": "300",
        "execution_max": "400",
        "qualify_line": "800",
        "veto_line": "30",
        "bonus_cap": "20",
        "self_gap_threshold": "50",
    }
    data.update(overrides)
    return data


def _indicator_post(year, **overrides):
    data = {
        "code": "C9",
        "part": "common",
        "name": "新指标",
        "max_points": "10",
        "method": "deduct",
        "direction": "",
        "department": year.dj.pk,
        "applies_to_all": "on",
        "sort_order": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _veto_proposal(world, year, points="10", actor="scorer"):
    return services.ledger_entry_create(
        actor=world.users[actor],
        scheme=year.scheme,
        institution=world.a,
        kind=LedgerEntry.Kind.VETO,
        points=Decimal(points),
        reason="安全事故",
    )


def _state():
    return {
        "schemes": list(Scheme.objects.values_list("year", "status", "bonus_cap")),
        "indicators": sorted(Indicator.objects.values_list("code", "max_points")),
        "targets": Target.objects.count(),
        "decisions": EntryDecision.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.parametrize("persona", [*NON_HR, "anonymous"])
def test_non_hr_posts_are_refused_and_change_nothing(client_for, world, year, persona):
    entry = _veto_proposal(world, year)
    ratio = Indicator.objects.create(
        scheme=year.scheme, code="R1", part="business", name="R1", method="ratio",
        direction="higher", max_points=Decimal("10"), department=year.dj,
    )  # fmt: skip
    before = _state()
    client = client_for(persona)
    c1 = year.indicators["C1"].pk
    target = {"indicator": ratio.pk, "institution": world.a.pk, "kind": "absolute"}
    posts = [
        ("appraisal:scheme_list", {}, {"year": "2027"}),
        ("appraisal:scheme_detail", {"year": 2026}, {"action": "review", "confirm": "yes"}),
        ("appraisal:scheme_settings", {"year": 2026}, _settings_post(bonus_cap="5")),
        ("appraisal:indicator_create", {"year": 2026}, _indicator_post(year)),
        ("appraisal:indicator_edit", {"year": 2026, "pk": c1}, _indicator_post(year, code="C1")),
        ("appraisal:scheme_targets", {"year": 2026}, target),
        ("appraisal:approvals", {}, {"entry": entry.pk, "decision": "approve", "confirm": "yes"}),
    ]
    for name, kwargs, data in posts:
        url = reverse(name, kwargs=kwargs)
        response = client.post(url, data)
        if persona == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login"))
        elif persona == "scorer" and name == "appraisal:scheme_targets":
            # A scorer reports actual values of their own department's indicators only:
            # another department's indicator is not a choice of the form.
            assert response.status_code == 200
            assert "indicator" in response.context["form"].errors
        else:
            assert response.status_code == 403, (persona, url)
    assert _state() == before


def test_scorer_reports_the_actual_value_of_own_indicator_only(client_for, world, year):
    own = Indicator.objects.create(
        scheme=year.scheme, code="R2", part="business", name="R2", method="ratio",
        direction="higher", max_points=Decimal("10"), department=world.dept,
    )  # fmt: skip
    target = Target.objects.create(
        indicator=own,
        institution=world.a,
        period="h2",
        kind="absolute",
        target_value=Decimal("200"),
    )
    client = client_for("scorer")
    url = reverse("appraisal:scheme_targets", kwargs={"year": 2026})
    page = client.get(url)
    assert [i.code for i in page.context["form"].fields["indicator"].queryset] == ["R2"]
    post = {"indicator": own.pk, "institution": world.a.pk, "period": "h2", "kind": "rank",
            "target_value": "1", "actual_value": "150"}  # fmt: skip
    assert client.post(url, post).status_code == 302
    target.refresh_from_db()
    # The actual value is reported; the target itself (HR's) is unchanged.
    assert (target.actual_value, target.target_value, target.kind) == (150, 200, "absolute")


# --- Scheme list and new year ---------------------------------------------------------------------


def test_list_shows_every_year_with_status(client_for, year):
    Scheme.objects.create(year=2025, status=Scheme.Status.PUBLISHED)
    response = _english(client_for("head_a")).get(reverse("appraisal:scheme_list"))
    body = response.content.decode()
    assert [s.year for s in response.context["schemes"]] == [2026, 2025]
    assert "Open for scoring" in body and "Published" in body
    assert response.context["form"] is None  # only HR starts a year
    hr = client_for("hr").get(reverse("appraisal:scheme_list"))
    assert hr.context["form"].initial["year"] == 2027


def test_hr_creates_next_year_copying_settings_and_indicators(client_for, world, year):
    Scheme.objects.filter(pk=year.scheme.pk).update(
        bonus_cap=Decimal("25"), veto_line=Decimal("40")
    )
    response = client_for("hr").post(reverse("appraisal:scheme_list"), {"year": "2027"})
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:scheme_detail", kwargs={"year": 2027})
    new = Scheme.objects.get(year=2027)
    assert new.status == Scheme.Status.DRAFT
    assert (new.bonus_cap, new.veto_line, new.qualify_line) == (Decimal("25"), Decimal("40"), 800)
    copied = {i.code: i for i in new.indicators.prefetch_related("institutions")}
    assert set(copied) == {"C1", "B1", "B2", "E1"}
    assert {i.code for i in copied["B2"].institutions.all()} == {"B01", "C01"}
    assert AuditEvent.objects.filter(action="scheme.create", object_id=str(new.pk)).exists()
    page = client_for("auditor").get(response["Location"]).content.decode()
    assert 'data-code="B2"' in page


def test_creating_an_existing_year_is_refused(client_for, year):
    response = _english(client_for("hr")).post(reverse("appraisal:scheme_list"), {"year": "2026"})
    assert response.status_code == 200
    assert "A scheme for 2026 exists already." in response.content.decode()
    assert Scheme.objects.count() == 1


# --- Detail and lifecycle -------------------------------------------------------------------------


def test_detail_groups_indicators_by_part_with_sums(client_for, year):
    response = _english(client_for("scorer")).get(
        reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    )
    parts = {p["value"]: p for p in response.context["parts"]}
    assert [i.code for i in parts["business"]["indicators"]] == ["B1", "B2"]
    assert parts["business"]["total"] == Decimal("600") and parts["business"]["differentiated"]
    assert parts["common"]["total"] == parts["common"]["max"] == Decimal("300")
    body = response.content.decode()
    assert "B01</span>" in body and "C01</span>" in body  # B2 applies to the listed codes
    assert "Results not computed yet" in body
    # Only HR sees edit controls and lifecycle buttons.
    assert "transition-" not in body and "/settings/" not in body
    hr_body = client_for("hr").get(reverse("appraisal:scheme_detail", kwargs={"year": 2026}))
    assert 'data-testid="transition-review"' in hr_body.content.decode()


def test_detail_shows_whether_results_are_stale(client_for, world, year):
    client = _english(client_for("auditor"))
    url = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    year_results_recompute(scheme_id=year.scheme.pk)
    assert "Results are up to date" in client.get(url).content.decode()
    _veto_proposal(world, year)
    assert "Results are older than the latest entries" in client.get(url).content.decode()


def test_detail_shows_a_queued_recompute(client_for, year):
    from django.core.cache import cache

    from appraisal.tasks import PENDING_KEY

    cache.set(PENDING_KEY.format(year.scheme.pk), True)
    try:
        body = _english(client_for("hr")).get(
            reverse("appraisal:scheme_detail", kwargs={"year": 2026})
        )
        assert "Results are being recomputed" in body.content.decode()
    finally:
        cache.delete(PENDING_KEY.format(year.scheme.pk))


def _draft_2027(world):
    return services.scheme_create(actor=world.users["hr"], year=2027)


def test_open_refused_while_maxima_do_not_add_up_then_opens(client_for, world, year):
    draft = _draft_2027(world)
    c1 = draft.indicators.get(code="C1")
    client = _english(client_for("hr"))
    edit = reverse("appraisal:indicator_edit", kwargs={"year": 2027, "pk": c1.pk})
    assert client.post(edit, _indicator_post(year, code="C1", max_points="250")).status_code == 302
    detail = reverse("appraisal:scheme_detail", kwargs={"year": 2027})

    response = client.post(detail, {"action": "open", "confirm": "yes"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="scheme-problems"' in body
    for inst in ("A01 甲机构", "B01 乙机构", "C01 丙机构"):
        assert f"{inst}: Common goals indicators add up to 250.00, not 300.00." in body
    assert len(response.context["transition_form"].non_field_errors()) == 3
    draft.refresh_from_db()
    assert draft.status == Scheme.Status.DRAFT

    client.post(edit, _indicator_post(year, code="C1", max_points="300"))
    response = client.post(detail, {"action": "open", "confirm": "yes"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Scheme.Status.OPEN
    assert "open for scoring" in client.get(detail).content.decode()


def test_publish_then_reopen_need_a_reason_and_are_audited(client_for, year):
    client = _english(client_for("hr"))
    detail = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    assert client.post(detail, {"action": "review", "confirm": "yes"}).status_code == 302
    # Publishing asks for its reason in the dialog; without one nothing happens.
    response = client.post(detail, {"action": "publish", "confirm": "yes", "reason": " "})
    assert response.status_code == 400
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.REVIEW
    response = client.post(
        detail, {"action": "publish", "confirm": "yes", "reason": "领导小组 12 月 20 日审定"}
    )
    assert response.status_code == 302
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.PUBLISHED
    event = AuditEvent.objects.get(action="scheme.publish")
    assert event.after == {"status": "published", "reason": "领导小组 12 月 20 日审定"}

    response = client.post(detail, {"action": "reopen", "confirm": "yes", "reason": "  "})
    assert response.status_code == 400
    assert 'data-testid="confirm-refused"' in response.content.decode()
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.PUBLISHED
    assert not AuditEvent.objects.filter(action="scheme.reopen").exists()

    response = client.post(
        detail, {"action": "reopen", "confirm": "yes", "reason": "乙机构申诉成立"}
    )
    assert response.status_code == 302
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.REVIEW
    event = AuditEvent.objects.get(action="scheme.reopen")
    assert event.after == {"status": "review", "reason": "乙机构申诉成立"}
    assert event.actor.username == "hr"


def test_opening_and_review_need_no_reason_but_the_confirmation(client_for, world, year):
    draft = _draft_2027(world)
    client = client_for("hr")
    detail = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    assert client.post(detail, {"action": "review"}).status_code == 400
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.OPEN
    assert client.post(detail, {"action": "review", "confirm": "yes"}).status_code == 302
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.REVIEW
    assert AuditEvent.objects.get(action="scheme.review").after == {
        "status": "review",
        "reason": "",
    }
    draft_detail = reverse("appraisal:scheme_detail", kwargs={"year": 2027})
    assert client.post(draft_detail, {"action": "open", "confirm": "no"}).status_code == 400
    draft.refresh_from_db()
    assert draft.status == Scheme.Status.DRAFT


@pytest.mark.parametrize(
    ("status", "action"),
    [("open", "review"), ("review", "publish"), ("published", "reopen")],
)
def test_an_unconfirmed_step_changes_nothing(client_for, year, status, action):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    before = (AuditEvent.objects.count(), Scheme.objects.get(pk=year.scheme.pk).status)
    response = client_for("hr").post(
        reverse("appraisal:scheme_detail", kwargs={"year": 2026}),
        {"action": action, "reason": "原因"},
    )
    assert response.status_code == 400
    after = (AuditEvent.objects.count(), Scheme.objects.get(pk=year.scheme.pk).status)
    assert after == before


def test_the_dialogs_post_the_confirmation_and_ask_reasons_where_the_audit_keeps_one(
    client_for, year
):
    client = client_for("hr")
    detail = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    for status, action, reasoned in [
        ("open", "review", False),
        ("review", "publish", True),
        ("published", "reopen", True),
    ]:
        Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
        body = client.get(detail).content.decode()
        form = re.search(rf'<form [^>]*data-testid="transition-{action}".*?</form>', body, re.S)
        assert form, action
        assert 'name="confirm" value="yes"' in form.group(0)
        assert f'name="action" value="{action}"' in form.group(0)
        assert ('name="reason"' in form.group(0) and " required" in form.group(0)) is reasoned


def test_a_step_out_of_order_is_refused(client_for, year):
    detail = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    response = _english(client_for("hr")).post(
        detail, {"action": "publish", "confirm": "yes", "reason": "审定"}
    )
    assert response.status_code == 200
    assert "this step needs it Review" in response.content.decode()
    year.scheme.refresh_from_db()
    assert year.scheme.status == Scheme.Status.OPEN


# --- Settings and indicators ----------------------------------------------------------------------


def test_settings_saved_while_draft(client_for, world, year):
    _draft_2027(world)
    url = reverse("appraisal:scheme_settings", kwargs={"year": 2027})
    response = client_for("hr").post(url, _settings_post(bonus_cap="15.5", qualify_line="780"))
    assert response.status_code == 302
    scheme = Scheme.objects.get(year=2027)
    assert (scheme.bonus_cap, scheme.qualify_line) == (Decimal("15.5"), Decimal("780"))
    assert AuditEvent.objects.filter(action="scheme.update").count() == 1


def test_settings_refused_once_open(client_for, year):
    client = _english(client_for("hr"))
    url = reverse("appraisal:scheme_settings", kwargs={"year": 2026})
    locked = "The 2026 scheme is Open for scoring: its settings and indicators no longer change."
    assert locked in client.get(url).content.decode()
    before = _state()
    response = client.post(url, _settings_post(bonus_cap="5"))
    assert response.status_code == 200
    assert locked in response.content.decode()
    assert _state() == before


def test_indicator_edits_refused_once_open(client_for, year):
    client = _english(client_for("hr"))
    locked = "The 2026 scheme is Open for scoring: its settings and indicators no longer change."
    before = _state()
    new = client.post(
        reverse("appraisal:indicator_create", kwargs={"year": 2026}), _indicator_post(year)
    )
    edit = client.post(
        reverse("appraisal:indicator_edit", kwargs={"year": 2026, "pk": year.indicators["C1"].pk}),
        _indicator_post(year, code="C1", max_points="1"),
    )
    for response in (new, edit):
        assert response.status_code == 200
        assert locked in response.content.decode()
    assert _state() == before


def test_indicator_for_listed_institutions(client_for, world, year):
    _draft_2027(world)
    client = _english(client_for("hr"))
    url = reverse("appraisal:indicator_create", kwargs={"year": 2027})
    data = _indicator_post(year, code="B3", part="business", applies_to_all=None)

    response = client.post(url, data)  # neither "all" nor a list
    assert "Choose the institutions it applies to" in response.content.decode()
    response = client.post(url, {**data, "method": "ratio"} | {"institutions": [world.a.pk]})
    assert "A completion-ratio indicator needs a direction." in response.content.decode()
    assert not Indicator.objects.filter(code="B3").exists()

    response = client.post(url, data | {"institutions": [world.a.pk, world.c.pk]})
    assert response.status_code == 302
    b3 = Indicator.objects.get(scheme__year=2027, code="B3")
    assert not b3.applies_to_all
    assert {i.code for i in b3.institutions.all()} == {"A01", "C01"}
    assert b3.direction == ""
    assert AuditEvent.objects.filter(action="indicator.create", object_id=str(b3.pk)).exists()

    edit = reverse("appraisal:indicator_edit", kwargs={"year": 2027, "pk": b3.pk})
    form = client.get(edit).context["form"]
    assert set(form.initial["institutions"]) == {world.a.pk, world.c.pk}
    response = client.post(
        edit, data | {"applies_to_all": "on", "method": "ratio", "direction": "lower"}
    )
    assert response.status_code == 302
    b3.refresh_from_db()
    assert (b3.applies_to_all, b3.method, b3.direction) == (True, "ratio", "lower")
    assert not b3.institutions.exists()
    event = AuditEvent.objects.get(action="indicator.update", object_id=str(b3.pk))
    assert event.before["applies_to_all"] is False and event.after["applies_to_all"] is True


def test_duplicate_indicator_code_is_refused(client_for, world, year):
    _draft_2027(world)
    url = reverse("appraisal:indicator_create", kwargs={"year": 2027})
    response = client_for("hr").post(url, _indicator_post(year, code="C1"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Indicator.objects.filter(scheme__year=2027, code="C1").count() == 1


# --- Targets --------------------------------------------------------------------------------------


@pytest.fixture
def ratio(world, year):
    """A completion-ratio business indicator of 2026 for A01 and B01."""
    indicator = Indicator.objects.create(
        scheme=year.scheme, code="R1", part="business", name="存款增长", method="ratio",
        direction="higher", max_points=Decimal("50"), department=year.dj, applies_to_all=False,
    )  # fmt: skip
    indicator.institutions.set([world.a, world.b])
    return indicator


def test_targets_table_lists_ratio_indicators_by_institution(client_for, world, ratio):
    Indicator.objects.create(
        scheme=ratio.scheme, code="R2", part="common", name="差错率", method="ratio",
        direction="lower", max_points=Decimal("5"), department=ratio.department,
    )  # fmt: skip
    response = client_for("hr").get(reverse("appraisal:scheme_targets", kwargs={"year": 2026}))
    rows = [(r.indicator.code, r.institution.code) for r in response.context["page_obj"]]
    # R2 applies to every appraised institution; R1 to its list; C1 etc. are not ratio indicators.
    assert rows == [("R2", "A01"), ("R2", "B01"), ("R2", "C01"), ("R1", "A01"), ("R1", "B01")]


def test_hr_sets_and_edits_a_target(client_for, world, ratio):
    client = _english(client_for("hr"))
    url = reverse("appraisal:scheme_targets", kwargs={"year": 2026})
    data = {
        "indicator": ratio.pk,
        "institution": world.a.pk,
        "period": "h2",
        "kind": "absolute",
        "unit": "万元",
        "target_value": "1200",
        "actual_value": "",
        "deadline": "",
        "completed_on": "",
    }
    assert client.post(url, data).status_code == 302
    target = Target.objects.get(indicator=ratio, institution=world.a, period="h2")
    assert (target.target_value, target.unit, target.deadline) == (1200, "万元", None)

    form = client.get(
        url, {"indicator": ratio.pk, "institution": world.a.pk, "period": "h2"}
    ).context["form"]
    assert form.initial["target_value"] == Decimal("1200")
    assert form.initial["institution"] == world.a.pk

    assert client.post(url, data | {"actual_value": "1300.5"}).status_code == 302
    target.refresh_from_db()
    assert target.actual_value == Decimal("1300.5")
    assert AuditEvent.objects.filter(action="target.update").count() == 1

    response = client.post(url, data | {"institution": world.c.pk})
    assert response.status_code == 200
    assert "R1 存款增长 does not apply to this institution." in response.content.decode()
    assert not Target.objects.filter(institution=world.c).exists()


def test_target_with_a_deadline(client_for, world, ratio):
    on_time = Indicator.objects.create(
        scheme=ratio.scheme, code="R3", part="business", name="按期完成", method="ratio",
        direction="deadline", max_points=Decimal("10"), department=ratio.department,
    )  # fmt: skip
    url = reverse("appraisal:scheme_targets", kwargs={"year": 2026})
    data = {"indicator": on_time.pk, "institution": world.b.pk, "period": "h1"}
    response = client_for("hr").post(url, data | {"deadline": "2026-06-30"})
    assert response.status_code == 302
    target = Target.objects.get(indicator=on_time, institution=world.b)
    assert (str(target.deadline), target.period, target.kind) == ("2026-06-30", "h1", "deadline")
    # A target value is never counted by a 按期 indicator: refused, nothing saved.
    response = _english(client_for("hr")).post(url, data | {"period": "h2", "target_value": "5"})
    assert response.status_code == 200
    assert "does not use this figure" in response.content.decode()
    assert not Target.objects.filter(indicator=on_time, period="h2").exists()


# --- Approvals ------------------------------------------------------------------------------------


def _pending(response):
    return [entry.pk for entry in response.context["page_obj"]]


def test_scorer_veto_proposal_is_approved(client_for, world, year):
    entry = _veto_proposal(world, year)
    client = client_for("hr")
    url = reverse("appraisal:approvals")
    response = client.get(url)
    assert _pending(response) == [entry.pk]
    body = response.content.decode()
    assert "安全事故" in body and "甲机构" in body and "安全生产科" in body

    response = client.post(
        url, {"entry": entry.pk, "decision": "approve", "confirm": "yes", "reason": "属实"}
    )
    assert response.status_code == 302
    decision = EntryDecision.objects.get(entry=entry)
    assert (decision.approved, decision.note, decision.decided_by) == (
        True,
        "属实",
        world.users["hr"],
    )
    assert _pending(client.get(url)) == []


def test_proposal_is_rejected(client_for, world, year):
    entry = _veto_proposal(world, year)
    client = client_for("hr")
    url = reverse("appraisal:approvals")
    data = {"entry": entry.pk, "decision": "reject", "confirm": "yes"}
    assert client.post(url, data).status_code == 400  # a rejection says why
    assert not EntryDecision.objects.exists()
    assert client.post(url, {**data, "reason": "证据不足"}).status_code == 302
    decision = EntryDecision.objects.get(entry=entry)
    assert (decision.approved, decision.note) == (False, "证据不足")
    assert AuditEvent.objects.get(action="ledger.reject").after == {
        "approved": False,
        "note": "证据不足",
    }
    assert _pending(client.get(url)) == []
    # Deciding twice is refused with the service's message.
    response = _english(client).post(
        url, {"entry": entry.pk, "decision": "approve", "confirm": "yes"}, follow=True
    )
    assert f"Entry #{entry.pk} is decided already." in response.content.decode()
    assert EntryDecision.objects.get(entry=entry).approved is False


def test_only_open_undecided_unwithdrawn_proposals_wait(client_for, world, year):
    first = _veto_proposal(world, year, points="5")
    withdrawn = _veto_proposal(world, year, points="6")
    services.ledger_entry_reverse(actor=world.users["scorer"], entry=withdrawn, reason="撤回")
    _veto_proposal(world, year, points="7", actor="hr")  # HR's own entry counts at once
    last = _veto_proposal(world, year, points="8")
    assert _pending(client_for("hr").get(reverse("appraisal:approvals"))) == [first.pk, last.pk]
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    assert _pending(client_for("hr").get(reverse("appraisal:approvals"))) == []


def test_unknown_entry_is_not_found(client_for, year):
    response = client_for("hr").post(
        reverse("appraisal:approvals"), {"entry": 999999, "decision": "approve", "confirm": "yes"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_an_unconfirmed_decision_changes_nothing(client_for, world, year, decision):
    entry = _veto_proposal(world, year)
    before = (EntryDecision.objects.count(), AuditEvent.objects.count())
    response = client_for("hr").post(
        reverse("appraisal:approvals"), {"entry": entry.pk, "decision": decision, "reason": "x"}
    )
    assert response.status_code == 400
    assert (EntryDecision.objects.count(), AuditEvent.objects.count()) == before


def test_the_approval_dialog_says_what_the_veto_does(client_for, world, year):
    """Approving a veto proposal that reaches the veto line: the dialog names the institution, its
    veto deductions after it and that it is vetoed and ranks last in its group."""
    entry = _veto_proposal(world, year, points="30")
    _english_body = _english(client_for("hr")).get(reverse("appraisal:approvals"))
    body = _english_body.content.decode()
    dialog = re.search(rf'<dialog id="approve-{entry.pk}".*?</dialog>', body, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dialog))
    assert "Approve Veto deduction of 30.00 on A01 甲机构" in text
    assert "A01 甲机构: its 2026 veto deductions become 30.00 (now 0.00)" in text
    assert "It is vetoed (一票否决): graded unqualified, it ranks last in 第一组" in text
    row = re.search(rf'<tr data-entry="{entry.pk}".*?</tr>', body, re.S).group(0)
    assert "\u221230.00" in row  # the proposal reads as a deduction


def test_the_approval_dialog_counts_what_is_already_counted(client_for, world, year):
    services.ledger_entry_create(
        actor=world.users["hr"], scheme=year.scheme, institution=world.a, kind="veto",
        indicator=None, period="year", points=Decimal("10"), reason="已批准",
    )  # fmt: skip
    entry = _veto_proposal(world, year, points="5")
    page = client_for("hr").get(reverse("appraisal:approvals"))
    row = next(e for e in page.context["page_obj"] if e.pk == entry.pk)
    assert (row.effect.before, row.effect.after, row.effect.vetoed_after) == (
        Decimal("10"),
        Decimal("15"),
        False,
    )


def test_approvals_sort_through_the_filter_set(client_for, world, year):
    first = _veto_proposal(world, year, points="5")
    second = _veto_proposal(world, year, points="8")
    client = client_for("hr")
    url = reverse("appraisal:approvals")
    assert _pending(client.get(url)) == [first.pk, second.pk]  # oldest first
    assert _pending(client.get(url, {"ordering": "-points"})) == [second.pk, first.pk]
    assert _pending(client.get(url, {"ordering": "institution"})) == [first.pk, second.pk]


# --- Query counts ---------------------------------------------------------------------------------


def test_approvals_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    client = client_for("hr")
    url = reverse("appraisal:approvals")
    for _ in range(3):
        _veto_proposal(world, year)
    client.get(url)  # warm the session
    # 4, and 1 for the count of the other tab (scores awaiting review).
    with django_assert_num_queries(5):
        assert len(_pending(client.get(url))) == 3
    for _ in range(27):
        _veto_proposal(world, year)
    with django_assert_num_queries(5):
        assert len(_pending(client.get(url))) == 30


def test_scheme_detail_query_count_is_fixed(client_for, world, year, django_assert_num_queries):
    year_results_recompute(scheme_id=year.scheme.pk)  # results exist: staleness is checked
    client = client_for("hr")
    url = reverse("appraisal:scheme_detail", kwargs={"year": 2026})
    client.get(url)
    # 8, and 1 for the indicators' several scorers (prefetched).
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.context["indicator_count"] == 4
    assert response.context["result_set"] and not response.context["results_stale"]
    for i in range(26):
        indicator = Indicator.objects.create(
            scheme=year.scheme, code=f"X{i:02d}", part="execution", name=f"X{i}",
            method="add", max_points=Decimal("1"), department=year.dc, applies_to_all=False,
        )  # fmt: skip
        indicator.institutions.set([world.a, world.b])
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.context["indicator_count"] == 30
