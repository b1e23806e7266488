"""The scoring pages as every persona: the scorer's grid, the entry form, reversing, the ledger
and evidence downloads. Out of scope answers 404, a role that may never do it 403, anonymous
users go to the login page; every write goes through the services."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appraisal import selectors, services
from appraisal.models import LedgerEntry, Scheme
from orgs.models import AuditEvent

from ..factories import InstitutionFactory
from ..personas import PERSONAS, SIGNED_IN, statuses

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def sample(name: str) -> bytes:
    """Content of the kind a name says (evidence is checked by content, orgs.uploads)."""
    extension = name.rsplit(".", 1)[-1].lower()
    if extension in ("xlsx", "docx"):
        part = "xl/workbook.xml" if extension == "xlsx" else "word/document.xml"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(part, "<x/>")
        return buffer.getvalue()
    return {"jpg": b"\xff\xd8\xff\xe0" + b"\0" * 16, "png": b"\x89PNG\r\n\x1a\n" + b"\0" * 16}.get(
        extension, PDF
    )


def pdf(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def record(world, year, *, by="hr", institution=None, code="C1", points="-10", **kwargs):
    """A ledger entry through the service (as HR unless told)."""
    fields = {
        "institution": institution or world.a,
        "kind": LedgerEntry.Kind.INDICATOR,
        "indicator": year.indicators[code] if code else None,
        "period": "h1",
        "points": Decimal(points),
        "reason": "检查发现问题",
    }
    fields.update(kwargs)
    if fields["kind"] != LedgerEntry.Kind.INDICATOR:
        fields["indicator"], fields["period"] = None, "year"
    return services.ledger_entry_create(actor=world.users[by], scheme=year.scheme, **fields)


def check(client, persona, url, expected, method="get", data=None):
    response = getattr(client, method)(url, data or {})
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url)
    return response


# --- Who may open what ---------------------------------------------------------------------------

# url name, kwargs, expected status for:  hr  head_a head_b scorer accept payroll auditor norole
MATRIX = [
    ("appraisal:scoring_grid", {"year": 2026}, "200 403 403 200 403 403 403 403"),
    ("appraisal:scoring_grid", {"year": 1999}, "404 403 403 404 403 403 403 403"),
    ("appraisal:entry_create", {"year": 2026}, "200 200 200 200 403 403 403 403"),
    ("appraisal:entry_create", {"year": 1999}, "404 404 404 404 403 403 403 403"),
    ("appraisal:ledger", {"year": 2026}, "200 200 200 200 403 403 200 403"),
    ("appraisal:ledger", {"year": 1999}, "404 404 404 404 403 403 404 403"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), MATRIX, ids=[f"{m[0]}{m[1]}" for m in MATRIX]
)
def test_page_access(client_for, year, persona, name, kwargs, expected):
    check(client_for(persona), persona, reverse(name, kwargs=kwargs), expected)


# Evidence of an entry on A01 / B01 (C1, scored by the scorer's department AQ), and of one
# without a file: only those who see the entry get it; nobody gets a missing file.
EVIDENCE_MATRIX = [
    ("A01", True, "200 200 404 200 404 404 200 403"),
    ("B01", True, "200 404 200 200 404 404 200 403"),
    ("A01", False, "404 404 404 404 404 404 404 403"),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("code", "with_file", "expected"), EVIDENCE_MATRIX)
def test_evidence_access(client_for, world, year, persona, code, with_file, expected):
    institution = {"A01": world.a, "B01": world.b}[code]
    entry = record(world, year, institution=institution, evidence=pdf() if with_file else None)
    response = check(
        client_for(persona),
        persona,
        reverse("appraisal:evidence", kwargs={"pk": entry.pk}),
        expected,
    )
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert "evidence" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_evidence_of_an_unknown_entry_is_404(client_for, year):
    assert (
        client_for("hr").get(reverse("appraisal:evidence", kwargs={"pk": 999})).status_code == 404
    )


def test_evidence_is_not_under_a_public_url(world, year, media):
    entry = record(world, year, evidence=pdf())
    assert entry.evidence.path.startswith(str(media))
    # Whatever MEDIA_URL is, the project serves no route for it: downloads go through the view.
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(f"/media/{entry.evidence.name}")


# Reversing an official C1 entry on A01 (recorded by the scorer, department AQ).
REVERSE_EXPECTED = "302 403 404 302 403 403 403 403"


@pytest.mark.parametrize("persona", PERSONAS)
def test_reverse_access(client_for, world, year, persona):
    entry = record(world, year, by="scorer")
    url = reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk})
    data = {"confirm": "yes", "reason": "录入错误"}
    check(client_for(persona), persona, url, REVERSE_EXPECTED, "post", data)
    reversed_ = LedgerEntry.objects.filter(reverses=entry).exists()
    assert reversed_ == (persona in ("hr", "scorer"))


@pytest.mark.parametrize(
    "data",
    [{"reason": "录入错误"}, {"confirm": "no", "reason": "录入错误"}, {"confirm": "yes"}],
    ids=["unconfirmed", "declined", "no reason"],
)
def test_reverse_without_the_dialogs_confirmation_changes_nothing(client_for, world, year, data):
    """The dialog posts confirm=yes and its reason; anything less is refused (400) and writes
    nothing, not even an audit event."""
    entry = record(world, year, by="scorer")
    before = (LedgerEntry.objects.count(), AuditEvent.objects.count())
    response = client_for("scorer").post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}), data
    )
    assert response.status_code == 400
    assert 'data-testid="confirm-refused"' in response.content.decode()
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == before


def test_the_refusal_answers_after_the_access_checks(client_for, world, year):
    """An unconfirmed POST on an entry the user may not reverse is a 403 (or a 404 out of
    reach), not a 400 that would tell the entry exists."""
    entry = record(world, year, code="E1", period="year")  # department DC's
    url = reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk})
    assert client_for("scorer").post(url, {}).status_code == 404
    assert client_for("head_a").post(url, {}).status_code == 403


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_reverse_is_post_only(client_for, world, year, persona):
    entry = record(world, year)
    response = client_for(persona).get(reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}))
    assert response.status_code in (403, 405)
    assert not LedgerEntry.objects.filter(reverses=entry).exists()


# --- The entry form ------------------------------------------------------------------------------


def entry_post(world, year, **overrides):
    data = {
        "institution": "A01",
        "kind": "indicator",
        "indicator": "C1",
        "period": "h1",
        "points": "-12.5",
        "reason": "安全检查发现隐患",
    }
    data.update(overrides)
    return data


def url_new(year):
    return reverse("appraisal:entry_create", kwargs={"year": year.scheme.year})


def test_scorer_records_a_deduction_with_evidence(client_for, world, year):
    client = client_for("scorer")
    data = entry_post(world, year, evidence=pdf())
    response = client.post(url_new(year), data)
    entry = LedgerEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("appraisal:ledger", kwargs={"year": 2026}) + "?institution=A01"
    )
    assert (entry.institution, entry.indicator, entry.period, entry.points) == (
        world.a,
        year.indicators["C1"],
        "h1",
        Decimal("-12.50"),
    )
    assert entry.is_official and not entry.needs_approval
    assert entry.created_by == world.users["scorer"] and entry.department == world.dept
    assert entry.evidence.read() == PDF
    assert AuditEvent.objects.filter(action="ledger.create", object_id=str(entry.pk)).exists()
    page = client.get(response["Location"])
    body = page.content.decode()
    assert f"#{entry.pk}" in body and "recompute" in body.lower()
    assert f'data-entry="{entry.pk}"' in body


@pytest.mark.parametrize("code", ["B1", "E1"])
def test_scorer_cannot_score_another_departments_indicator(client_for, world, year, code):
    """The form offers only the indicators the user scores; any other is a form error."""
    response = client_for("scorer").post(
        url_new(year),
        entry_post(world, year, indicator=code, period="year" if code == "E1" else "h1"),
    )
    assert response.status_code == 200
    assert "indicator" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


def test_scorer_form_offers_only_own_indicators(client_for, year):
    form = client_for("scorer").get(url_new(year)).context["form"]
    assert [i.code for i in form.fields["indicator"].queryset] == ["C1"]
    assert {c for c, _label in form.fields["kind"].choices} == {"indicator", "bonus", "veto"}


def test_hr_form_offers_every_indicator(client_for, year):
    form = client_for("hr").get(url_new(year)).context["form"]
    assert sorted(i.code for i in form.fields["indicator"].queryset) == ["B1", "B2", "C1", "E1"]


def test_grid_link_prefills_the_form(client_for, year):
    response = client_for("scorer").get(
        url_new(year), {"institution": "B01", "indicator": "C1", "period": "h2"}
    )
    form = response.context["form"]
    assert (form["institution"].value(), form["indicator"].value(), form["period"].value()) == (
        "B01",
        "C1",
        "h2",
    )


def test_scorer_proposes_a_bonus_pending_hr_approval(client_for, world, year):
    client = client_for("scorer")
    response = client.post(
        url_new(year), entry_post(world, year, kind="bonus", indicator="", period="h1", points="5")
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.indicator, entry.period, entry.needs_approval) == (
        "bonus",
        None,
        "year",
        True,
    )
    body = client.get(response["Location"]).content.decode()
    assert 'data-state="pending"' in body


def test_hr_veto_counts_at_once(client_for, world, year):
    client_for("hr").post(
        url_new(year), entry_post(world, year, kind="veto", indicator="", points="10")
    )
    entry = LedgerEntry.objects.get()
    assert entry.kind == "veto" and not entry.needs_approval


def test_service_errors_land_on_the_form(client_for, world, year):
    """B1 applies to A01 only, and a half-year part cannot be scored for the whole year."""
    client = client_for("hr")
    response = client.post(
        url_new(year), entry_post(world, year, institution="B01", indicator="B1")
    )
    assert "indicator" in response.context["form"].errors
    response = client.post(url_new(year), entry_post(world, year, period="year"))
    assert "period" in response.context["form"].errors
    response = client.post(url_new(year), entry_post(world, year, points="0"))
    assert "points" in response.context["form"].errors
    response = client.post(url_new(year), entry_post(world, year, points="1.234"))
    assert "points" in response.context["form"].errors
    response = client.post(url_new(year), entry_post(world, year, kind="indicator", indicator=""))
    assert "indicator" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


def test_head_records_a_self_assessment_of_own_institution(client_for, world, year):
    client = client_for("head_a")
    form = client.get(url_new(year)).context["form"]
    assert [i.code for i in form.fields["institution"].queryset] == ["A01"]
    assert sorted(i.code for i in form.fields["indicator"].queryset) == ["B1", "C1", "E1"]
    assert [c for c, _label in form.fields["kind"].choices] == ["indicator"]
    response = client.post(url_new(year), entry_post(world, year, points="-2"))
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert entry.institution == world.a and not entry.is_official


@pytest.mark.parametrize(
    "overrides",
    [
        {"institution": "B01"},  # another institution
        {"institution": "C01"},
        {"kind": "bonus", "indicator": "", "points": "5"},  # bonus is official only
        {"indicator": "B2"},  # an indicator of other institutions
    ],
)
def test_head_cannot_post_outside_own_self_assessment(client_for, world, year, overrides):
    response = client_for("head_a").post(url_new(year), entry_post(world, year, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("status", [Scheme.Status.PUBLISHED, Scheme.Status.DRAFT])
def test_a_closed_year_refuses_entries_and_writes_nothing(client_for, world, year, status, media):
    Scheme.objects.filter(pk=year.scheme.pk).update(status=status)
    client = client_for("scorer")
    assert 'data-testid="year-closed"' in client.get(url_new(year)).content.decode()
    response = client.post(url_new(year), entry_post(world, year, evidence=pdf()))
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("accepts no entries" in e for e in errors), errors
    assert "accepts no entries" in response.content.decode()
    assert not LedgerEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="ledger.create").exists()
    assert not list(media.rglob("*.pdf"))


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("evidence.pdf", True),
        ("photo.JPG", True),
        ("scan.png", True),
        ("table.xlsx", True),
        ("letter.docx", True),
        ("page.html", False),
        ("run.exe", False),
        ("script.pdf.js", False),
        ("noextension", False),
    ],
)
def test_evidence_types(client_for, world, year, name, accepted):
    response = client_for("scorer").post(
        url_new(year), entry_post(world, year, evidence=pdf(name=name, content=sample(name)))
    )
    assert LedgerEntry.objects.exists() == accepted
    if not accepted:
        errors = response.context["form"].errors["evidence"]
        assert "pdf" in errors[0] and name in errors[0]


def test_evidence_over_10_mb_is_refused(client_for, world, year, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client = client_for("scorer")
    response = client.post(
        url_new(year), entry_post(world, year, evidence=pdf(content=b"%PDF-" + b"x" * 1020))
    )
    assert "evidence" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()
    response = client.post(
        url_new(year), entry_post(world, year, evidence=pdf(content=b"%PDF-" + b"x" * 1019))
    )
    assert response.status_code == 302


def test_the_limit_is_ten_megabytes():
    from django.conf import settings

    assert settings.UPLOAD_MAX_BYTES == 10 * 1024 * 1024


# --- Reversal ------------------------------------------------------------------------------------


def test_reversal_keeps_both_entries_in_the_ledger(client_for, world, year):
    entry = record(world, year, by="scorer", points="-20")
    client = client_for("scorer")
    ledger = reverse("appraisal:ledger", kwargs={"year": 2026})
    response = client.post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}),
        {"confirm": "yes", "reason": "复核撤销", "next": f"{ledger}?institution=A01"},
    )
    assert response.status_code == 302 and response["Location"] == f"{ledger}?institution=A01"
    reversal = LedgerEntry.objects.get(reverses=entry)
    assert reversal.points == Decimal("20") and reversal.created_by == world.users["scorer"]
    response = client.get(ledger)
    rows = {e.pk: e for e in response.context["page_obj"]}
    assert set(rows) == {entry.pk, reversal.pk}
    assert ("reversed", f"reversed by #{reversal.pk}") in rows[entry.pk].states
    assert ("reverses", f"reverses #{entry.pk}") in rows[reversal.pk].states
    assert not rows[entry.pk].reversible and not rows[reversal.pk].reversible
    # Reversing again is refused with the service's message, and writes nothing.
    response = client.post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}),
        {"confirm": "yes", "reason": "再次"},
        follow=True,
    )
    assert f"#{entry.pk}" in response.content.decode()
    assert LedgerEntry.objects.count() == 2


def test_reversal_needs_a_reason(client_for, world, year):
    entry = record(world, year)
    response = client_for("hr").post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}),
        {"confirm": "yes", "reason": " "},
    )
    assert response.status_code == 400  # the dialog's reason box is required
    assert LedgerEntry.objects.count() == 1


def test_head_reverses_own_self_assessment_only(client_for, world, year):
    own = record(world, year, by="head_a", is_official=False)
    official = record(world, year)
    client = client_for("head_a")
    assert (
        client.post(
            reverse("appraisal:entry_reverse", kwargs={"pk": official.pk}),
            {"confirm": "yes", "reason": "x"},
        ).status_code
        == 403
    )
    response = client.post(
        reverse("appraisal:entry_reverse", kwargs={"pk": own.pk}), {"confirm": "yes", "reason": "x"}
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(reverses=own, is_official=False).exists()


def test_scorer_cannot_reach_another_departments_entry(client_for, world, year):
    entry = record(world, year, code="E1", period="year")
    response = client_for("scorer").post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}),
        {"confirm": "yes", "reason": "x"},
    )
    assert response.status_code == 404


def test_a_published_year_refuses_reversal(client_for, world, year):
    entry = record(world, year)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    response = client_for("hr").post(
        reverse("appraisal:entry_reverse", kwargs={"pk": entry.pk}),
        {"confirm": "yes", "reason": "x"},
        follow=True,
    )
    assert "accepts no entries" in response.content.decode()
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("persona", ["hr", "head_a", "head_b", "scorer", "auditor"])
def test_reverse_buttons_match_the_service_rule(client_for, world, year, persona):
    """The ledger's set-based `reversible` says exactly what services.can_reverse allows."""
    record(world, year, by="scorer")
    record(world, year, code="E1", period="year")
    record(world, year, by="head_a", is_official=False)
    record(world, year, by="head_b", institution=world.b, is_official=False, points="-3")
    record(world, year, kind="bonus", code=None, points="4")
    reversed_ = record(world, year, by="scorer", points="-1")
    services.ledger_entry_reverse(actor=world.users["hr"], entry=reversed_, reason="撤销")
    user = world.users[persona]
    response = client_for(persona).get(reverse("appraisal:ledger", kwargs={"year": 2026}))
    rows = list(response.context["page_obj"])
    assert rows
    for entry in rows:
        fresh = LedgerEntry.objects.get(pk=entry.pk)
        expected = (
            services.can_reverse(user, fresh)
            and fresh.reverses_id is None
            and not LedgerEntry.objects.filter(reverses=fresh).exists()
        )
        assert entry.reversible == expected, (persona, entry)
    body = response.content.decode()
    assert body.count('data-testid="reverse-form"') == sum(e.reversible for e in rows)


# --- The ledger ----------------------------------------------------------------------------------


def ledger_ids(client, **params):
    response = client.get(reverse("appraisal:ledger", kwargs={"year": 2026}), params)
    assert response.status_code == 200
    return {e.pk for e in response.context["page_obj"]}


def test_head_sees_only_own_institution_official_and_self(client_for, world, year):
    a_official = record(world, year, evidence=pdf())
    a_self = record(world, year, by="head_a", is_official=False)
    b_official = record(world, year, institution=world.b, evidence=pdf())
    b_self = record(world, year, by="head_b", institution=world.b, is_official=False)
    client = client_for("head_a")
    assert ledger_ids(client) == {a_official.pk, a_self.pk}
    assert ledger_ids(client, institution="B01") == set()  # not a filter head_a may use
    body = client.get(reverse("appraisal:ledger", kwargs={"year": 2026})).content.decode()
    assert "乙机构" not in body
    assert (
        client.get(reverse("appraisal:evidence", kwargs={"pk": b_official.pk})).status_code == 404
    )
    assert (
        client.get(reverse("appraisal:evidence", kwargs={"pk": a_official.pk})).status_code == 200
    )
    assert ledger_ids(client_for("head_b")) == {b_official.pk, b_self.pk}


def test_scorer_sees_own_departments_entries(client_for, world, year):
    mine = record(world, year, by="scorer")
    hr_on_c1 = record(world, year, institution=world.c)
    record(world, year, code="E1", period="year")
    record(world, year, kind="bonus", code=None, points="3")
    proposal = record(world, year, by="scorer", kind="veto", code=None, points="3")
    assert ledger_ids(client_for("scorer")) == {mine.pk, hr_on_c1.pk, proposal.pk}
    assert len(ledger_ids(client_for("auditor"))) == 5


def test_ledger_filters(client_for, world, year):
    c1_a_h1 = record(world, year)
    c1_b_h2 = record(world, year, institution=world.b, period="h2")
    e1_a = record(world, year, code="E1", period="year")
    b1_a = record(world, year, code="B1", points="50")
    bonus_a = record(world, year, kind="bonus", code=None, points="5")
    veto_b = record(world, year, kind="veto", institution=world.b, code=None, points="2")
    self_a = record(world, year, by="head_a", is_official=False, points="-1")
    client = client_for("hr")
    assert ledger_ids(client, institution="A01") == {
        c1_a_h1.pk,
        e1_a.pk,
        b1_a.pk,
        bonus_a.pk,
        self_a.pk,
    }
    assert ledger_ids(client, kind="bonus") == {bonus_a.pk}
    assert ledger_ids(client, kind="veto") == {veto_b.pk}
    assert ledger_ids(client, indicator="C1") == {c1_a_h1.pk, c1_b_h2.pk, self_a.pk}
    assert ledger_ids(client, part="common") == {c1_a_h1.pk, c1_b_h2.pk, self_a.pk}
    assert ledger_ids(client, part="business") == {b1_a.pk}
    assert ledger_ids(client, part="execution") == {e1_a.pk}
    assert ledger_ids(client, period="h2") == {c1_b_h2.pk}
    assert ledger_ids(client, official="self") == {self_a.pk}
    assert self_a.pk not in ledger_ids(client, official="official")
    assert ledger_ids(client, institution="A01", part="common", official="official") == {c1_a_h1.pk}
    assert ledger_ids(client, indicator="NOPE") == set()


def test_ledger_row_shows_what_an_entry_is(client_for, world, year):
    entry = record(world, year, by="scorer", evidence=pdf(), reason="消防通道堵塞")
    proposal = record(world, year, by="scorer", kind="veto", code=None, points="30")
    rejected = record(world, year, by="scorer", kind="bonus", code=None, points="3")
    services.entry_decide(actor=world.users["hr"], entry=rejected, approved=False)
    client = client_for("hr")
    client.cookies["django_language"] = "en"
    response = client.get(reverse("appraisal:ledger", kwargs={"year": 2026}))
    rows = {e.pk: e for e in response.context["page_obj"]}
    assert [s[0] for s in rows[entry.pk].states] == ["counted"]
    assert [s[0] for s in rows[proposal.pk].states] == ["pending"]
    assert [s[0] for s in rows[rejected.pk].states] == ["rejected"]
    body = response.content.decode()
    row = re.search(rf'<tr data-entry="{entry.pk}".*?</tr>', body, re.S).group(0)
    for text in ("甲机构", "C1", "\u221210.00", "消防通道堵塞", "First half", "counted"):
        assert text in row, text
    assert reverse("appraisal:evidence", kwargs={"pk": entry.pk}) in row
    # A veto deduction (recorded as 30) is taken off: it reads −30.00, in the danger tone.
    veto_row = re.search(rf'<tr data-entry="{proposal.pk}".*?</tr>', body, re.S).group(0)
    assert '<span class="pts pts-minus" data-testid="entry-points">\u221230.00</span>' in veto_row
    assert "pending approval" in veto_row
    assert rows[proposal.pk].signed_points == Decimal("-30")


def test_ledger_sorts_by_its_columns_through_the_filter_set(client_for, world, year):
    small = record(world, year, points="-1")
    veto = record(world, year, kind="veto", code=None, points="30")
    big = record(world, year, points="-12", institution=world.b)
    bonus = record(world, year, kind="bonus", code=None, points="5")
    client = client_for("hr")
    url = reverse("appraisal:ledger", kwargs={"year": 2026})

    def ids(**params):
        return [e.pk for e in client.get(url, params).context["page_obj"]]

    assert ids() == [bonus.pk, big.pk, veto.pk, small.pk]  # newest first
    # Points as they count: the veto deduction (−30) first, then −12, −1, +5.
    assert ids(ordering="points") == [veto.pk, big.pk, small.pk, bonus.pk]
    assert ids(ordering="-points") == [bonus.pk, small.pk, big.pk, veto.pk]
    # Equal institutions keep the newest first (the tie-breaker), filters still apply.
    assert ids(ordering="institution") == [bonus.pk, veto.pk, small.pk, big.pk]
    assert ids(ordering="-institution", kind="indicator") == [big.pk, small.pk]
    # An unknown column leaves the usual order; it never shows nothing.
    assert ids(ordering="reason") == ids()
    body = client.get(url, {"ordering": "points", "kind": "indicator"}).content.decode()
    assert 'aria-sort="ascending"' in body
    assert (
        "?ordering=-points&amp;kind=indicator" in body
        or "kind=indicator&amp;ordering=-points" in body
    )


def test_ledger_paginates(client_for, world, year):
    for i in range(55):
        record(world, year, points=f"-{i + 1}")
    client = client_for("hr")
    url = reverse("appraisal:ledger", kwargs={"year": 2026})
    page1 = client.get(url, {"institution": "A01"})
    page2 = client.get(url, {"institution": "A01", "page": 2})
    assert len(page1.context["page_obj"]) == 50 and len(page2.context["page_obj"]) == 5
    assert 'page=2"' in page1.content.decode() and "institution=A01&amp;page=2" in (
        page1.content.decode()
    )


@pytest.mark.parametrize("persona", ["hr", "head_a", "scorer"])
def test_ledger_query_count_is_fixed(client_for, world, year, persona, django_assert_num_queries):
    client = client_for(persona)
    url = reverse("appraisal:ledger", kwargs={"year": 2026})
    record(world, year, evidence=pdf())
    client.get(url)  # warm the session
    with django_assert_num_queries(8) as few:
        client.get(url, {"institution": "A01"})
    for i in range(40):
        entry = record(world, year, points=f"-{i + 1}", evidence=pdf() if i % 3 else None)
        if i % 4 == 0:
            services.ledger_entry_reverse(actor=world.users["hr"], entry=entry, reason="撤销")
        record(world, year, by="head_a", is_official=False, points="-1")
        record(world, year, by="scorer", kind="veto", code=None, points="1")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url, {"institution": "A01"})
    assert len(response.context["page_obj"]) == 50


# --- The scorer's grid ---------------------------------------------------------------------------


def grid_url():
    return reverse("appraisal:scoring_grid", kwargs={"year": 2026})


def test_scorer_grid_shows_own_indicators_and_current_scores(client_for, world, year):
    record(world, year, by="scorer", points="-12.5")
    record(world, year, by="scorer", points="-2.5")
    record(world, year, by="scorer", institution=world.b, period="h2", points="-300")
    record(world, year, by="scorer", institution=world.b, period="h2", points="-100")  # clamps
    record(world, year, by="head_a", is_official=False, points="-100")  # self: not official
    response = client_for("scorer").get(grid_url())
    grid = response.context["grid"]
    assert [(c.indicator.code, c.period) for c in grid.columns] == [("C1", "h1"), ("C1", "h2")]
    rows = {row.institution.code: row for row in grid.rows}
    assert set(rows) == {"A01", "B01", "C01"}
    a_h1, a_h2 = rows["A01"].cells
    assert (a_h1.score, a_h1.tally, a_h1.entries) == (Decimal("285.00"), Decimal("-15.0"), 2)
    assert (a_h2.score, a_h2.entries) == (Decimal("300.00"), 0)
    assert rows["B01"].cells[1].score == Decimal("0.00")
    body = response.content.decode()
    new = reverse("appraisal:entry_create", kwargs={"year": 2026})
    assert f"{new}?institution=A01&amp;kind=indicator&amp;indicator=C1&amp;period=h1" in body
    assert "B1" not in {c.indicator.code for c in grid.columns}


def test_grid_shows_latest_results(client_for, world, year):
    from appraisal.recompute import year_results_recompute

    record(world, year, points="-20")
    year_results_recompute(scheme_id=year.scheme.pk)
    grid = client_for("scorer").get(grid_url()).context["grid"]
    rows = {row.institution.code: row for row in grid.rows}
    assert grid.has_results
    assert rows["A01"].results == [Decimal("280.00"), Decimal("300.00")]


def test_hr_grid_filters_by_part_and_indicator(client_for, world, year):
    client = client_for("hr")
    url = reverse("appraisal:scoring_grid", kwargs={"year": 2026})
    grid = client.get(url).context["grid"]
    assert {c.indicator.code for c in grid.columns} == {"C1", "B1", "B2", "E1"}
    grid = client.get(url, {"part": "business"}).context["grid"]
    assert {c.indicator.code for c in grid.columns} == {"B1", "B2"}
    rows = {row.institution.code: [c.applies for c in row.cells] for row in grid.rows}
    # B1 (h1, h2) applies to A01 only, B2 to B01 and C01.
    assert rows == {
        "A01": [True, True, False, False],
        "B01": [False, False, True, True],
        "C01": [False, False, True, True],
    }
    grid = client.get(url, {"indicator": "E1"}).context["grid"]
    assert [(c.indicator.code, c.period) for c in grid.columns] == [("E1", "year")]


def test_scorer_cannot_filter_grid_on_other_indicators(client_for, year):
    response = client_for("scorer").get(grid_url(), {"indicator": "B1"})
    assert response.status_code == 200
    assert {c.indicator.code for c in response.context["grid"].columns} <= {"C1"}


@pytest.mark.parametrize("persona", ["hr", "scorer"])
def test_grid_query_count_is_fixed(client_for, world, year, persona, django_assert_num_queries):
    client = client_for(persona)
    url = reverse("appraisal:scoring_grid", kwargs={"year": 2026})
    record(world, year)
    client.get(url)
    with django_assert_num_queries(9) as few:
        response = client.get(url)
    assert len(response.context["grid"].rows) == 3
    for i in range(27):
        inst = InstitutionFactory(code=f"X{i:03d}", group=world.g1 if i % 2 else world.g2)
        record(world, year, institution=inst, points=f"-{i + 1}")
        year.indicators["B2"].institutions.add(inst)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["grid"].rows) == 30


def test_selectors_entry_states_of_a_withdrawn_proposal(world, year):
    proposal = record(world, year, by="scorer", kind="bonus", code=None, points="2")
    withdrawal = services.ledger_entry_reverse(
        actor=world.users["scorer"], entry=proposal, reason="撤回"
    )
    rows = {
        e.pk: e
        for e in selectors.with_states(
            selectors.ledger_list(user=world.users["hr"], scheme=year.scheme)
        )
    }
    assert [s[0] for s in rows[proposal.pk].states] == ["withdrawn", "reversed"]
    assert [s[0] for s in rows[withdrawal.pk].states] == ["withdrawn", "reverses"]
