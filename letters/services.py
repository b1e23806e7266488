"""Target responsibility letters: generation, signing, countersigning, verification, versions and
the four-level cascade (DESIGN.md §3, docs/LETTERS.md). Every change audited in its transaction."""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import HalfYear, Indicator, Part, Scheme, Target
from orgs import notifications
from orgs.access import has_role
from orgs.models import Institution, Role, User
from orgs.services import audit_record

from .models import LEVEL_ORDER, Letter, LetterItem, Level

# The veto items every letter carries (一票否决事项, DESIGN.md §2).
VETO_ITEMS = [
    "发生经纪检监察机关查实的违纪违法问题",
    "发生经检察机关立案的职务犯罪",
    "发生较大及以上安全生产责任事故",
    "违反计划生育政策",
]


def canonical_json(content: dict) -> str:
    """The one serialisation the hash is taken over: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def letter_verify(letter: Letter) -> bool:
    """Whether the stored content of a signed letter still matches the hash frozen at signing."""
    return bool(letter.content_sha256) and content_hash(letter.content) == letter.content_sha256


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# --- Generation ----------------------------------------------------------------------------------


def head_letter_items(scheme: Scheme, institution: Institution) -> list[dict]:
    """What the head's letter commits to, from the scheme and the institution's targets. The
    letter is a Chinese document whatever language the person issuing it reads the UI in."""
    return head_letter_items_for(scheme, [institution])[institution.pk]


def head_letter_items_for(scheme: Scheme, institutions) -> dict[int, list[dict]]:
    """head_letter_items of several institutions at once, in three queries whatever their
    number ({institution id: items}): what issuing to a group would put in each letter."""
    institutions = list(institutions)
    indicators = list(Indicator.objects.filter(scheme=scheme).prefetch_related("institutions"))
    targets: dict[int, dict[int, Target]] = {i.pk: {} for i in institutions}
    # The letter commits to the whole year's target (下半年: the year, cumulative).
    for t in Target.objects.filter(
        indicator__scheme=scheme, institution__in=[i.pk for i in institutions], period=HalfYear.H2
    ):
        targets[t.institution_id][t.indicator_id] = t
    with translation.override("zh-hans"):
        return {
            institution.pk: _head_letter_items(institution, indicators, targets[institution.pk])
            for institution in institutions
        }


def _head_letter_items(
    institution: Institution, indicators: list[Indicator], targets: dict[int, Target]
) -> list[dict]:
    indicators = [i for i in indicators if i.applies_to_all or institution in i.institutions.all()]
    items = []
    for ind in sorted(
        indicators, key=lambda i: (i.part != Part.BUSINESS, i.part, i.sort_order, i.code)
    ):
        target = targets.get(ind.pk)
        if ind.part == Part.BUSINESS:
            items.append(
                {
                    "kind": LetterItem.Kind.TARGET,
                    "indicator": ind.code,
                    "text": ind.name,
                    "target_value": _num(target.target_value) if target else None,
                    "unit": target.unit if target else "",
                    "additive": bool(target and target.kind == Target.Kind.ABSOLUTE),
                    "points": _num(ind.max_points),
                }
            )
        else:
            items.append(
                {
                    "kind": LetterItem.Kind.COMMITMENT,
                    "indicator": ind.code,
                    "text": f"{ind.get_part_display()}：{ind.name}",
                    "target_value": None,
                    "unit": "",
                    "additive": False,
                    "points": _num(ind.max_points),
                }
            )
    for text in VETO_ITEMS:
        items.append(
            {
                "kind": LetterItem.Kind.VETO,
                "indicator": None,
                "text": text,
                "target_value": None,
                "unit": "",
                "additive": False,
                "points": None,
            }
        )
    return items


def letter_content(
    *, scheme: Scheme, institution: Institution, level: str, holder_name: str, items: list[dict]
) -> dict:
    return {
        "title": f"{scheme.year}年度目标责任书",
        "year": scheme.year,
        "institution": {"code": institution.code, "name": institution.name},
        "level": level,
        "holder": holder_name,
        "items": items,
        "consequences": {
            "qualify_line": _num(scheme.qualify_line),
            "veto_line": _num(scheme.veto_line),
            "text": [
                f"考核总分达到{_num(scheme.qualify_line)}分为合格，按组别排名评定一、二、三等奖并兑现奖金。",
                "考核不合格的，予以通报批评并亮黄牌；连续两年不合格的，对领导班子进行诫勉谈话。",
                f"一票否决类扣分累计达到{_num(scheme.veto_line)}分的，年度考核实行一票否决。",
            ],
        },
    }


def _save_items(letter: Letter, items: list[dict], parents: dict[int, LetterItem] | None = None):
    indicators = dict(Indicator.objects.filter(scheme=letter.scheme).values_list("code", "pk"))
    for order, item in enumerate(items):
        LetterItem.objects.create(
            letter=letter,
            kind=item["kind"],
            indicator_id=indicators.get(item["indicator"]) if item["indicator"] else None,
            decomposes=(parents or {}).get(order),
            text=item["text"],
            target_value=Decimal(item["target_value"])
            if item["target_value"] is not None
            else None,
            unit=item["unit"],
            additive=item["additive"],
            points=Decimal(item["points"]) if item["points"] is not None else None,
            sort_order=order,
        )


def _latest(scheme, institution, level, holder_name) -> Letter | None:
    return (
        Letter.objects.filter(
            scheme=scheme, institution=institution, level=level, holder_name=holder_name
        )
        .order_by("-version")
        .first()
    )


# What the holder of a new letter (or a new version) is told (orgs.notifications).
ISSUED_TITLE = gettext_lazy("A target responsibility letter to sign")
ISSUED_TEXT = gettext_lazy(
    "The %(year)s target responsibility letter of %(institution)s (%(holder)s, version "
    "%(version)s) is issued and waits for your signature."
)


def _issued_message(letter: Letter) -> notifications.Message:
    return notifications.Message(
        recipient=letter.signer,
        kind="letter.issued",
        title=ISSUED_TITLE,
        text=ISSUED_TEXT,
        params={
            "year": letter.scheme.year,
            "institution": letter.institution.name,
            "holder": letter.holder_name,
            "version": letter.version,
        },
        link=reverse("letters:letter_detail", args=[letter.pk]),
        about=letter,
    )


@transaction.atomic
def letter_issue(*, actor: User, scheme: Scheme, institution: Institution) -> Letter:
    """Issue (or reissue) the head's letter of an institution for a year. Nothing changes when
    the current version already says exactly this; otherwise a new version is issued, which its
    holder must sign again (the earlier versions stay readable), and the holder is notified."""
    letter, issued = _letter_issue(actor=actor, scheme=scheme, institution=institution)
    if issued:
        notifications.notify_each([_issued_message(letter)], actor=actor)
    return letter


@dataclass
class IssueReport:
    issued: list[Letter] = field(default_factory=list)
    unchanged: list[Letter] = field(default_factory=list)
    skipped: list[tuple[Institution, str]] = field(default_factory=list)  # and why


@transaction.atomic
def letters_issue(*, actor: User, scheme: Scheme, institutions) -> IssueReport:
    """Issue the head's letter of each institution (HR's "issue to all", to a group, to one), in
    one transaction: those without a head, or refused, are reported and skipped; the holders of
    the new letters are notified together (one insert, however many)."""
    if not has_role(actor, Role.HR):
        raise PermissionDenied
    report = IssueReport()
    for institution in institutions:
        if institution.head is None:
            report.skipped.append((institution, _("it has no head to sign it")))
            continue
        try:
            letter, issued = _letter_issue(actor=actor, scheme=scheme, institution=institution)
        except ValidationError as error:
            report.skipped.append((institution, " ".join(error.messages)))
            continue
        (report.issued if issued else report.unchanged).append(letter)
    notifications.notify_each([_issued_message(x) for x in report.issued], actor=actor)
    return report


@transaction.atomic
def _letter_issue(*, actor: User, scheme: Scheme, institution: Institution) -> tuple[Letter, bool]:
    """letter_issue without the notification: the letter, and whether it is a new one."""
    if not has_role(actor, Role.HR):
        raise PermissionDenied
    if institution.head is None:
        raise ValidationError(
            _("%(code)s has no head to sign its letter; HR assigns one first.")
            % {"code": institution.code}
        )
    Scheme.objects.select_for_update().get(pk=scheme.pk)
    holder = institution.head.get_full_name()
    content = letter_content(
        scheme=scheme,
        institution=institution,
        level=Level.HEAD,
        holder_name=holder,
        items=head_letter_items(scheme, institution),
    )
    current = (
        Letter.objects.filter(scheme=scheme, institution=institution, level=Level.HEAD)
        .exclude(status=Letter.Status.SUPERSEDED)
        .order_by("-version")
        .first()
    )
    if (
        current is not None
        and current.content == content
        and current.signer_id == institution.head_id
    ):
        return current, False
    version = (
        Letter.objects.filter(scheme=scheme, institution=institution, level=Level.HEAD).aggregate(
            v=Max("version")
        )["v"]
        or 0
    ) + 1
    # An unsigned earlier version is replaced outright; a signed or effective one stays in force
    # until the new version is countersigned.
    Letter.objects.filter(
        scheme=scheme, institution=institution, level=Level.HEAD, status=Letter.Status.ISSUED
    ).update(status=Letter.Status.SUPERSEDED)
    letter = Letter.objects.create(
        scheme=scheme,
        institution=institution,
        level=Level.HEAD,
        holder_name=holder,
        signer=institution.head,
        version=version,
        content=content,
        issued_by=actor,
    )
    _save_items(letter, content["items"])
    audit_record(actor=actor, action="letter.issue", obj=letter, after={"version": version})
    return letter, True


# --- Signing -------------------------------------------------------------------------------------

WRONG_PASSWORD = gettext_lazy("The password is not right; the letter is not signed.")


def letter_sign_failed(*, actor: User, letter: Letter) -> None:
    """A wrong password at signing, in the letter's audit trail (the failure itself counts toward
    the login's lockout: orgs.lockout.password_reconfirm, called by the page and the API)."""
    audit_record(actor=actor, action="letter.sign_password_failed", obj=letter)


@transaction.atomic
def letter_sign(
    *, actor: User, letter: Letter, password: str, client_address: str | None
) -> Letter:
    """The holder signs their own letter after re-entering their password: the content is frozen
    with its SHA-256, the signer, the time and the client address. Only the letter's signer may
    sign (HR cannot sign for them). Signing a signed letter again changes nothing."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if actor.pk != letter.signer_id or not actor.is_active:
        raise PermissionDenied
    if letter.is_signed:
        return letter
    if not actor.check_password(password or ""):
        raise ValidationError({"password": WRONG_PASSWORD})
    letter.content_sha256 = content_hash(letter.content)
    letter.status = Letter.Status.SIGNED
    letter.signed_by = actor
    letter.signed_at = timezone.now()
    letter.signed_from = client_address
    letter.save(update_fields=["content_sha256", "status", "signed_by", "signed_at", "signed_from"])
    audit_record(
        actor=actor,
        action="letter.sign",
        obj=letter,
        after={"sha256": letter.content_sha256, "from": client_address},
    )
    notifications.notify(
        recipients=notifications.hr_users(),
        kind="letter.signed",
        title=gettext_lazy("A signed letter to countersign"),
        text=gettext_lazy(
            "%(holder)s signed the %(year)s target responsibility letter of %(institution)s "
            "(version %(version)s); it waits for HR's countersignature."
        ),
        params={
            "holder": letter.holder_name,
            "year": letter.scheme.year,
            "institution": letter.institution.name,
            "version": letter.version,
        },
        link=reverse("letters:letter_detail", args=[letter.pk]),
        about=letter,
        actor=actor,
    )
    return letter


@transaction.atomic
def letter_countersign(*, actor: User, letter: Letter) -> Letter:
    """HR countersigns a signed letter: it becomes effective, and the version it replaces (if
    any) is superseded."""
    if not has_role(actor, Role.HR):
        raise PermissionDenied
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.status == Letter.Status.EFFECTIVE:
        return letter
    if letter.status != Letter.Status.SIGNED:
        raise ValidationError(_("Only a letter its holder has signed is countersigned."))
    if not letter_verify(letter):
        raise ValidationError(
            _("This letter's content no longer matches its signature; it is not countersigned.")
        )
    Letter.objects.filter(
        scheme=letter.scheme,
        institution=letter.institution,
        level=letter.level,
        holder_name=letter.holder_name,
        status__in=[Letter.Status.EFFECTIVE, Letter.Status.SIGNED],
    ).exclude(pk=letter.pk).update(status=Letter.Status.SUPERSEDED)
    letter.status = Letter.Status.EFFECTIVE
    letter.countersigned_by = actor
    letter.countersigned_at = timezone.now()
    letter.save(update_fields=["status", "countersigned_by", "countersigned_at"])
    audit_record(
        actor=actor, action="letter.countersign", obj=letter, after={"status": letter.status}
    )
    return letter


# --- Cascade -------------------------------------------------------------------------------------


@dataclass
class ChildLetter:
    """A letter one level down: who holds and signs it, and how much of each of the parent's
    items it takes on ({parent item id: amount}; None takes the item whole)."""

    holder_name: str
    signer: User
    allocations: dict[int, Decimal | None] = field(default_factory=dict)


def _next_level(level: str) -> str:
    index = LEVEL_ORDER.index(level)
    if index + 1 >= len(LEVEL_ORDER):
        raise ValidationError(
            _("Staff letters are the last level; they are not decomposed further.")
        )
    return LEVEL_ORDER[index + 1]


def can_cascade(actor: User, parent: Letter) -> bool:
    return has_role(actor, Role.HR) or actor.pk == parent.signer_id


def signer_belongs(institution: Institution, user: User) -> bool:
    """Whether `user` may sign a letter of `institution` one level down: an active account of
    that institution (its 所属机构), or its head."""
    return user.is_active and (
        user.institution_id == institution.pk or institution.head_id == user.pk
    )


def cascade_signer(institution: Institution, username: str) -> User | None:
    """The account named `username` if it may sign a letter of `institution`; None otherwise,
    whether the username exists or not."""
    user = User.objects.filter(username=username).first()
    return user if user is not None and signer_belongs(institution, user) else None


def signer_refused(institution: Institution, username: str) -> str:
    """One answer for a username that does not exist and one of another institution."""
    return _("%(name)s is not an active account of %(institution)s.") % {
        "name": username,
        "institution": institution.name,
    }


def letter_cascade_check(*, actor: User, parent: Letter, children: list[ChildLetter]) -> None:
    """What letter_cascade would refuse, without writing anything (the page's check before its
    confirm dialog): PermissionDenied, or a ValidationError naming every problem."""
    if not can_cascade(actor, parent):
        raise PermissionDenied
    if parent.status not in (Letter.Status.SIGNED, Letter.Status.EFFECTIVE):
        raise ValidationError(_("A letter is decomposed once its holder has signed it."))
    _next_level(parent.level)
    errors = _cascade_problems(parent, {i.pk: i for i in parent.items.all()}, children)
    if errors:
        raise ValidationError(errors)


def _cascade_problems(
    parent: Letter, items: dict[int, LetterItem], children: list[ChildLetter]
) -> list[str]:
    """Every reason not to issue `children` from `parent`: items that are not the parent's,
    amounts not above zero, and additive targets not covered in full by the letters one level
    down (these and those issued before, superseded ones not counted)."""
    errors = []
    for child in children:
        if not signer_belongs(parent.institution, child.signer):
            errors.append(signer_refused(parent.institution, child.signer.get_username()))
        unknown = set(child.allocations) - set(items)
        if unknown:
            errors.append(
                _("%(holder)s: items %(ids)s are not items of this letter.")
                % {"holder": child.holder_name, "ids": sorted(unknown)}
            )
        for amount in child.allocations.values():
            if amount is not None and amount <= 0:
                errors.append(
                    _("%(holder)s: an allocated amount must be above zero.")
                    % {"holder": child.holder_name}
                )
    already = dict(
        LetterItem.objects.filter(decomposes__letter=parent)
        .exclude(letter__status=Letter.Status.SUPERSEDED)
        .values("decomposes")
        .annotate(total=Sum("target_value"))
        .values_list("decomposes", "total")
    )
    for pk, item in items.items():
        if not item.additive or item.target_value is None:
            continue
        given = (already.get(pk) or Decimal(0)) + sum(
            (c.allocations[pk] or Decimal(0)) for c in children if pk in c.allocations
        )
        if given < item.target_value:
            errors.append(
                _(
                    "%(item)s: %(given)s of %(target)s %(unit)s is decomposed; "
                    "%(gap)s %(unit)s is missing."
                )
                % {
                    "item": item.text,
                    "given": _num(given),
                    "target": _num(item.target_value),
                    "unit": item.unit,
                    "gap": _num(item.target_value - given),
                }
            )
    return errors


@transaction.atomic
def letter_cascade(*, actor: User, parent: Letter, children: list[ChildLetter]) -> list[Letter]:
    """Decompose a signed letter one level down (主要领导 → 分管领导 → 单位部门 → 全体干部).

    For each additive target (an absolute amount) the parts given to the level below — these
    letters and those issued before — must add up to at least the whole target; otherwise
    nothing is issued and the error names each item and the amount still missing."""
    parent = (
        Letter.objects.select_for_update().select_related("scheme", "institution").get(pk=parent.pk)
    )
    if not can_cascade(actor, parent):
        raise PermissionDenied
    if parent.status not in (Letter.Status.SIGNED, Letter.Status.EFFECTIVE):
        raise ValidationError(_("A letter is decomposed once its holder has signed it."))
    level = _next_level(parent.level)
    items = {i.pk: i for i in parent.items.all()}
    errors = _cascade_problems(parent, items, children)
    if errors:
        raise ValidationError(errors)
    letters = []
    for child in children:
        child_items, parents = [], {}
        for pk, amount in child.allocations.items():
            item = items[pk]
            parents[len(child_items)] = item
            child_items.append(
                {
                    "kind": item.kind,
                    "indicator": item.indicator.code if item.indicator else None,
                    "text": item.text,
                    "target_value": _num(amount if amount is not None else item.target_value),
                    "unit": item.unit,
                    "additive": item.additive,
                    "points": _num(item.points),
                }
            )
        # Common commitments and veto items bind every level.
        for item in items.values():
            if item.kind != LetterItem.Kind.TARGET and item.pk not in child.allocations:
                parents[len(child_items)] = item
                child_items.append(
                    {
                        "kind": item.kind,
                        "indicator": item.indicator.code if item.indicator else None,
                        "text": item.text,
                        "target_value": None,
                        "unit": "",
                        "additive": False,
                        "points": _num(item.points),
                    }
                )
        content = letter_content(
            scheme=parent.scheme,
            institution=parent.institution,
            level=level,
            holder_name=child.holder_name,
            items=child_items,
        ) | {"parent": {"id": parent.pk, "version": parent.version, "holder": parent.holder_name}}
        previous = _latest(parent.scheme, parent.institution, level, child.holder_name)
        letter = Letter.objects.create(
            scheme=parent.scheme,
            institution=parent.institution,
            level=level,
            parent=parent,
            holder_name=child.holder_name,
            signer=child.signer,
            version=(previous.version + 1) if previous else 1,
            content=content,
            issued_by=actor,
        )
        _save_items(letter, child_items, parents)
        audit_record(actor=actor, action="letter.cascade", obj=letter, after={"parent": parent.pk})
        letters.append(letter)
    notifications.notify_each([_issued_message(x) for x in letters], actor=actor)
    return letters


def letters_unsigned(scheme: Scheme):
    """Letters still waiting for their holder, oldest first (for HR's view and reminders)."""
    return (
        Letter.objects.filter(scheme=scheme, status=Letter.Status.ISSUED)
        .select_related("institution", "signer")
        .order_by("issued_at", "institution__code")
    )


def letters_outdated(scheme: Scheme, institution: Institution) -> bool:
    """Whether the targets changed since the head's current letter was issued."""
    current = (
        Letter.objects.filter(scheme=scheme, institution=institution, level=Level.HEAD)
        .exclude(status=Letter.Status.SUPERSEDED)
        .order_by("-version")
        .first()
    )
    if current is None:
        return False
    return current.content["items"] != head_letter_items(scheme, institution)


def letters_follow_targets(scheme: Scheme, institution: Institution) -> Letter | None:
    """After an institution's targets change: if its head's letter no longer says what the
    targets say, a new version is issued (by the system account) for the head to sign again."""
    from orgs.services import system_user

    if not letters_outdated(scheme, institution):
        return None
    return letter_issue(actor=system_user(), scheme=scheme, institution=institution)
