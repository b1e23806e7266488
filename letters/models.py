"""Target responsibility letters (目标责任书, DESIGN.md §3, docs/LETTERS.md).

A letter is generated from the year's scheme and the institution's targets, signed by its holder
after re-entering their password (content frozen with its SHA-256), countersigned by HR, and
decomposed down four levels. Changing targets after signing makes a new version."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisal.models import Indicator, Scheme
from orgs.models import Institution

POINTS = {"max_digits": 8, "decimal_places": 2}


class Level(models.TextChoices):
    HEAD = "head", _("Principal leader")  # 主要领导 (一把手)
    DEPUTY = "deputy", _("Deputy leader")  # 分管领导
    DEPARTMENT = "department", _("Department")  # 单位部门
    STAFF = "staff", _("Staff")  # 全体干部


LEVEL_ORDER = [Level.HEAD, Level.DEPUTY, Level.DEPARTMENT, Level.STAFF]


class Letter(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")  # 已下达, waiting for the holder's signature
        SIGNED = "signed", _("Signed")  # 已签署, waiting for HR's countersignature
        EFFECTIVE = "effective", _("Effective")  # 已生效
        SUPERSEDED = "superseded", _("Superseded")  # 已被新版本取代

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="letters")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="letters")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    holder_name = models.CharField(_("holder"), max_length=100)  # 责任人
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        on_delete=models.PROTECT,
        related_name="letters_to_sign",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    # The letter's exact data, generated at issue; frozen (with its hash) at signing.
    content = models.JSONField(_("content"))
    content_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    signed_from = models.GenericIPAddressField(_("signed from"), null=True, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(_("countersigned"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("target responsibility letter")
        verbose_name_plural = _("target responsibility letters")
        ordering = ["scheme", "institution__code", "level", "holder_name", "-version"]
        indexes = [
            models.Index(fields=["scheme", "institution", "level"], name="letter_year_inst_level")
        ]
        constraints = [
            # One effective version per institution and year of the head's letter.
            models.UniqueConstraint(
                fields=["scheme", "institution"],
                condition=Q(level="head", status="effective"),
                name="letter_one_effective_head_letter",
            ),
            models.UniqueConstraint(
                fields=["scheme", "institution", "level", "holder_name", "version"],
                name="letter_version_unique",
            ),
            models.CheckConstraint(
                condition=(Q(level="head") & Q(parent__isnull=True))
                | (~Q(level="head") & Q(parent__isnull=False)),
                name="letter_parent_iff_below_head",
            ),
        ]

    def __str__(self):
        level = self.get_level_display()
        return f"{self.scheme.year} {self.institution} {level} {self.holder_name} v{self.version}"

    @property
    def is_signed(self) -> bool:
        return self.status in (self.Status.SIGNED, self.Status.EFFECTIVE, self.Status.SUPERSEDED)


class LetterItem(models.Model):
    """One commitment of a letter: a business target (with its value and points), a common
    commitment, a veto item, or a part of a parent letter's item that this letter takes on."""

    class Kind(models.TextChoices):
        TARGET = "target", _("Business target")  # 业务目标
        COMMITMENT = "commitment", _("Common commitment")  # 共性承诺
        VETO = "veto", _("Veto item")  # 一票否决事项

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decomposes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="parts"
    )
    text = models.CharField(_("text"), max_length=300)
    target_value = models.DecimalField(
        _("target value"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    additive = models.BooleanField(_("additive"), default=False)  # absolute amounts add up
    points = models.DecimalField(_("points"), **POINTS, null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("letter item")
        verbose_name_plural = _("letter items")
        ordering = ["letter", "sort_order", "id"]

    def __str__(self):
        return self.text
