"""Letters: generation, signing with the password, countersigning, tamper evidence, versions,
the four-level cascade with coverage of additive targets."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from appraisal.models import Target
from letters import services
from letters.models import Letter, LetterItem
from orgs.models import AuditEvent

from ..factories import PASSWORD, UserFactory


def test_head_letter_is_generated_from_scheme_and_targets(world, year, letter):
    assert letter.level == "head" and letter.signer == world.users["head_a"]
    assert letter.status == Letter.Status.ISSUED and letter.version == 1
    items = {i["indicator"]: i for i in letter.content["items"] if i["indicator"]}
    assert items["B3"]["target_value"] == "1200" and items["B3"]["unit"] == "万元"
    assert items["B3"]["additive"] is True and items["B1"]["additive"] is False
    assert items["C1"]["kind"] == "commitment" and "B2" not in items  # B2 is not A01's
    assert sum(1 for i in letter.content["items"] if i["kind"] == "veto") == len(
        services.VETO_ITEMS
    )
    assert "800" in letter.content["consequences"]["text"][0]
    assert letter.items.count() == len(letter.content["items"])


def test_issuing_again_without_changes_is_harmless(world, year, letter):
    again = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.a)
    assert again.pk == letter.pk and Letter.objects.count() == 1


def test_only_the_head_signs_with_the_right_password(world, year, letter):
    with pytest.raises(PermissionDenied):
        services.letter_sign(
            actor=world.users["hr"], letter=letter, password=PASSWORD, client_address=None
        )
    with pytest.raises(PermissionDenied):
        services.letter_sign(
            actor=world.users["head_b"], letter=letter, password=PASSWORD, client_address=None
        )
    with pytest.raises(ValidationError, match="password"):
        services.letter_sign(
            actor=world.users["head_a"], letter=letter, password="wrong", client_address=None
        )
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""
    signed = services.letter_sign(
        actor=world.users["head_a"], letter=letter, password=PASSWORD, client_address="10.1.2.3"
    )
    assert signed.status == Letter.Status.SIGNED and len(signed.content_sha256) == 64
    assert signed.signed_from == "10.1.2.3" and signed.signed_at is not None
    assert services.letter_verify(signed)
    # Signing twice is harmless.
    again = services.letter_sign(
        actor=world.users["head_a"], letter=letter, password="x", client_address=None
    )
    assert again.signed_at == signed.signed_at
    assert AuditEvent.objects.filter(action="letter.sign").count() == 1


def _sign(world, letter):
    return services.letter_sign(
        actor=letter.signer, letter=letter, password=PASSWORD, client_address="127.0.0.1"
    )


def test_countersign_makes_it_effective(world, year, letter):
    with pytest.raises(ValidationError):
        services.letter_countersign(actor=world.users["hr"], letter=letter)  # not signed yet
    _sign(world, letter)
    with pytest.raises(PermissionDenied):
        services.letter_countersign(actor=world.users["head_a"], letter=letter)
    effective = services.letter_countersign(actor=world.users["hr"], letter=letter)
    assert (
        effective.status == Letter.Status.EFFECTIVE
        and effective.countersigned_by == world.users["hr"]
    )


def test_tampering_is_detected_by_the_page_helper_and_the_command(world, year, letter):
    _sign(world, letter)
    out = StringIO()
    call_command("verify_letters", stdout=out)
    assert "1 signed letters verified" in out.getvalue()
    content = dict(letter.content)
    content["items"] = [dict(i) for i in content["items"]]
    content["items"][0]["target_value"] = "1"
    Letter.objects.filter(pk=letter.pk).update(content=content)  # straight into the database
    letter.refresh_from_db()
    assert not services.letter_verify(letter)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1"):
        call_command("verify_letters", stdout=StringIO(), stderr=err)
    assert f"#{letter.pk}" in err.getvalue() and "A01" in err.getvalue()
    with pytest.raises(ValidationError, match="no longer matches"):
        services.letter_countersign(actor=world.users["hr"], letter=letter)


def test_changed_targets_make_a_new_version(world, year, letter):
    _sign(world, letter)
    services.letter_countersign(actor=world.users["hr"], letter=letter)
    Target.objects.filter(institution=world.a, unit="万元").update(target_value=D("1500"))
    assert services.letters_outdated(year.scheme, world.a)
    v2 = services.letter_issue(actor=world.users["hr"], scheme=year.scheme, institution=world.a)
    assert v2.version == 2 and v2.status == Letter.Status.ISSUED
    letter.refresh_from_db()
    assert letter.status == Letter.Status.EFFECTIVE  # the old one holds until v2 is countersigned
    _sign(world, v2)
    services.letter_countersign(actor=world.users["hr"], letter=v2)
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SUPERSEDED and services.letter_verify(
        letter
    )  # still readable


def test_one_effective_version_is_a_database_constraint(world, year, letter):
    _sign(world, letter)
    services.letter_countersign(actor=world.users["hr"], letter=letter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            scheme=year.scheme,
            institution=world.a,
            level="head",
            holder_name="x",
            signer=world.users["head_a"],
            version=9,
            status="effective",
            content={},
            issued_by=world.users["hr"],
        )


def test_cascade_must_cover_additive_targets(world, year, letter):
    _sign(world, letter)
    revenue = letter.items.get(indicator__code="B3")
    rank = letter.items.get(indicator__code="B1")
    deputy1 = UserFactory(username="deputy1", role="", institution=world.a)
    deputy2 = UserFactory(username="deputy2", role="", institution=world.a)
    short = [
        services.ChildLetter("分管副总 甲", deputy1, {revenue.pk: D("700"), rank.pk: None}),
        services.ChildLetter("分管副总 乙", deputy2, {revenue.pk: D("400")}),
    ]
    with pytest.raises(ValidationError) as error:
        services.letter_cascade(actor=world.users["head_a"], parent=letter, children=short)
    assert (
        "1100 of 1200 万元" in error.value.messages[0]
        and "100 万元 is missing" in error.value.messages[0]
    )
    assert Letter.objects.filter(level="deputy").count() == 0
    short[1].allocations[revenue.pk] = D("500")
    children = services.letter_cascade(actor=world.users["head_a"], parent=letter, children=short)
    assert [c.level for c in children] == ["deputy", "deputy"]
    first = children[0]
    assert first.signer == deputy1 and first.parent == letter
    parts = {i.decomposes_id: i for i in first.items.all()}
    assert parts[revenue.pk].target_value == D("700") and parts[rank.pk].target_value == D("3")
    assert first.items.filter(kind=LetterItem.Kind.VETO).count() == len(services.VETO_ITEMS)
    # Each level signs its own letter; the head cannot sign a deputy's.
    with pytest.raises(PermissionDenied):
        services.letter_sign(
            actor=world.users["head_a"], letter=first, password=PASSWORD, client_address=None
        )
    services.letter_sign(actor=deputy1, letter=first, password=PASSWORD, client_address=None)
    # Then down to departments.
    dept = UserFactory(username="dept1", role="", institution=world.a)
    part = first.items.get(decomposes=revenue)
    with pytest.raises(ValidationError, match="200 万元 is missing"):
        services.letter_cascade(
            actor=deputy1,
            parent=first,
            children=[services.ChildLetter("财务科", dept, {part.pk: D("500")})],
        )
    (department,) = services.letter_cascade(
        actor=deputy1,
        parent=first,
        children=[services.ChildLetter("财务科", dept, {part.pk: D("700")})],
    )
    assert department.level == "department"


def test_an_unsigned_letter_is_not_decomposed(world, year, letter):
    with pytest.raises(ValidationError, match="once its holder has signed"):
        services.letter_cascade(actor=world.users["head_a"], parent=letter, children=[])
    with pytest.raises(PermissionDenied):
        _sign(world, letter)
        services.letter_cascade(actor=world.users["head_b"], parent=letter, children=[])


def test_a_target_change_issues_a_new_version(
    world, year, letter, django_capture_on_commit_callbacks
):
    from appraisal.services import target_save

    _sign(world, letter)
    revenue = Target.objects.get(institution=world.a, unit="万元")
    with django_capture_on_commit_callbacks(execute=True):
        target_save(
            actor=world.users["hr"],
            indicator=revenue.indicator,
            institution=world.a,
            period="h2",
            target_value=D("1300"),
        )
    assert Letter.objects.filter(institution=world.a, level="head").count() == 2
    # The first half's own target is not what the letter commits to (the whole year is).
    with django_capture_on_commit_callbacks(execute=True):
        target_save(
            actor=world.users["hr"],
            indicator=revenue.indicator,
            institution=world.a,
            period="h1",
            target_value=D("600"),
        )
    latest = Letter.objects.filter(institution=world.a, level="head").order_by("-version").first()
    assert latest.version == 2 and latest.status == Letter.Status.ISSUED
    assert any(i["target_value"] == "1300" for i in latest.content["items"])
    # Reporting an actual value does not change the letter.
    with django_capture_on_commit_callbacks(execute=True):
        target_save(
            actor=world.users["hr"],
            indicator=revenue.indicator,
            institution=world.a,
            period="h2",
            actual_value=D("900"),
        )
    assert Letter.objects.filter(institution=world.a, level="head").count() == 2


def test_the_letter_is_chinese_whatever_the_ui_language(world, year, letter):
    # The fixture issues it while English is active (tests/appraisal/conftest.py `_english`).
    commitments = [i["text"] for i in letter.content["items"] if i["kind"] == "commitment"]
    assert commitments and all(t.startswith(("公共目标", "执行力建设")) for t in commitments)


def test_a_cascaded_letter_is_signed_by_an_account_of_its_institution(world, year, letter):
    """Issue 16, item 4: a deputy could address a letter to any account (head_b then read A01's
    targets). The service refuses an account of another institution, one of none, and an inactive
    one, in one message each, and issues nothing; the institution's head and its accounts pass."""
    services.letter_sign(actor=world.users["head_a"], letter=letter, password=PASSWORD,
                         client_address=None)  # fmt: skip
    revenue = letter.items.get(indicator__code="B3")
    outsiders = [
        world.users["head_b"],
        UserFactory(username="loose", role=""),
        UserFactory(username="gone", role="", institution=world.a, is_active=False),
    ]
    for outsider in outsiders:
        child = services.ChildLetter("分管副总", outsider, {revenue.pk: D("1200")})
        with pytest.raises(ValidationError) as refused:
            services.letter_cascade(actor=world.users["head_a"], parent=letter, children=[child])
        assert refused.value.messages == [
            f"{outsider.username} is not an active account of 甲机构."
        ]
    assert not Letter.objects.filter(level="deputy").exists()
    own = UserFactory(username="own", role="", institution=world.a)
    (issued,) = services.letter_cascade(
        actor=world.users["head_a"],
        parent=letter,
        children=[services.ChildLetter("分管副总", own, {revenue.pk: D("1200")})],
    )
    assert issued.signer == own and issued.institution == world.a
