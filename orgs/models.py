"""The organisation: users and their roles, HQ scoring departments, assessment groups with their
prize tables, institutions and their employees (DESIGN.md §1), and the audit trail."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
    _("Use 1–32 letters, digits, '-' or '_', starting with a letter or digit."),
)
ZERO = Decimal("0")
MONEY = {"max_digits": 12, "decimal_places": 2}


class Role(models.TextChoices):
    """What a user account may do. One role per account; scope comes with the role."""

    HR = "hr", _("HR staff")  # 人力资源部 / 绩效办
    SCORER = "scorer", _("Scorer")  # 职能科室评分人, bound to a scoring department
    HEAD = "head", _("Institution head")  # 一把手, bound to the institution they head
    ACCEPTANCE = "acceptance", _("Acceptance team member")  # 验收组
    PAYROLL = "payroll", _("Payroll officer")  # bound to the institutions whose payroll they run
    AUDITOR = "auditor", _("Auditor")  # 审计: reads everything, changes nothing
    # 局领导班子成员: scores the indicators they are named on (IndicatorScorer) and reads the
    # results of their 联系单位 (User.contact_institutions).
    LEADER = "leader", _("Leader")  # 领导
    # 考核联络员: reports for the institution they are named for (ContactPerson), nothing else.
    CONTACT = "contact", _("Contact person")  # 考核联络员
    # 三员 (等保 2.0): administrators of the system itself, none of whom sees or changes business
    # data (orgs.access.ADMIN_ROLES, docs/PERMISSIONS.md "三员").
    SYSADMIN = "sysadmin", _("System administrator")  # 系统管理员: accounts and roles
    SECADMIN = "secadmin", _("Security administrator")  # 安全管理员: policies, unlocks, 2FA resets
    AUDITADMIN = "auditadmin", _("Audit administrator")  # 审计管理员: reads the audit trail


class User(AbstractUser):
    # Chinese names are one string; first_name/last_name stay unused.
    name = models.CharField(_("name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    scoring_department = models.ForeignKey(
        "orgs.ScoringDepartment",
        verbose_name=_("scoring department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scorers",
    )
    payroll_institutions = models.ManyToManyField(
        "orgs.Institution",
        verbose_name=_("payroll institutions"),
        blank=True,
        related_name="payroll_officers",
    )
    # 所属机构: the institution whose staff the account is (a deputy, a department head, a member of
    # staff; a head is known by Institution.head). A letter one level down is signed by an account
    # of its institution (letters.services.letter_cascade).
    institution = models.ForeignKey(
        "orgs.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    # 联系单位 of a leader: the institutions whose results and entries the leader reads.
    contact_institutions = models.ManyToManyField(
        "orgs.Institution",
        verbose_name=_("contact institutions"),  # 联系单位
        blank=True,
        related_name="contact_leaders",
    )
    # When the password was last set (orgs.passwords): older than PASSWORD_MAX_AGE_DAYS, the user
    # must change it before anything else; empty means "change it at the next sign-in" (a password
    # set by the system administrator). Accounts without a usable password are exempt.
    password_changed_at = models.DateTimeField(
        _("password changed"), default=timezone.now, null=True, blank=True
    )
    # The session of the account's latest sign-in: with SESSION_SINGLE, any other ends
    # (orgs.sessions).
    session_key = models.CharField(_("current session"), max_length=40, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A scorer is always bound to a department, and only a scorer is.
            models.CheckConstraint(
                condition=(Q(role="scorer") & Q(scoring_department__isnull=False))
                | (~Q(role="scorer") & Q(scoring_department__isnull=True)),
                name="user_scorer_has_department",
            ),
            # A contact person is always an account of an institution (所属机构).
            models.CheckConstraint(
                condition=~Q(role="contact") | Q(institution__isnull=False),
                name="user_contact_has_institution",
            ),
        ]

    def __str__(self):
        return self.name or self.username

    def get_full_name(self):
        return self.name or self.username

    def get_short_name(self):
        return self.name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        if raw_password is not None:
            self.password_changed_at = timezone.now()
            self._password_to_record = True

    def save(self, *args, **kwargs):
        record = getattr(self, "_password_to_record", False)
        update_fields = kwargs.get("update_fields")
        if record and update_fields is not None and "password" in update_fields:
            kwargs["update_fields"] = {*update_fields, "password_changed_at"}
        super().save(*args, **kwargs)
        if record:
            # The password history the reuse rule reads (orgs.passwords): kept on every door
            # that sets a password (forms, the admin, commands), not by each of them.
            self._password_to_record = False
            PasswordHistory.record(self)


class PasswordHistory(models.Model):
    """A password an account has had (its hash, never the password): a new password may not be
    one of the last PASSWORD_HISTORY (orgs.passwords.PasswordHistoryValidator)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        verbose_name = _("previous password")
        verbose_name_plural = _("password history")
        ordering = ["user", "-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="passwordhistory_user")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"

    @classmethod
    def record(cls, user) -> None:
        """Keep the hash of the password just saved; older ones beyond the rule's reach go."""
        if not user.has_usable_password():
            return
        cls.objects.create(user=user, password=user.password)
        keep = max(settings.PASSWORD_HISTORY, 1)
        stale = cls.objects.filter(user=user).order_by("-created_at", "-id")[keep:]
        stale_ids = list(stale.values_list("pk", flat=True))
        if stale_ids:
            cls.objects.filter(pk__in=stale_ids).delete()


class ScoringDepartment(models.Model):
    """职能科室: a department of group HQ that owns and scores indicators."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=64, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("scoring department")
        verbose_name_plural = _("scoring departments")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class AssessmentGroup(models.Model):
    """考核组别: institutions of similar type and size, ranked against each other."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("assessment group")
        verbose_name_plural = _("assessment groups")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class PrizeLevel(models.IntegerChoices):
    FIRST = 1, _("First prize")  # 一等奖
    SECOND = 2, _("Second prize")  # 二等奖
    THIRD = 3, _("Third prize")  # 三等奖


class GroupPrize(models.Model):
    """One row of a group's prize table: how many institutions win this prize, and how much."""

    group = models.ForeignKey(
        AssessmentGroup, on_delete=models.CASCADE, related_name="prizes", verbose_name=_("group")
    )
    level = models.PositiveSmallIntegerField(_("prize level"), choices=PrizeLevel.choices)
    winners = models.PositiveSmallIntegerField(_("number of winners"))
    amount = models.DecimalField(
        _("prize money (yuan)"), **MONEY, validators=[MinValueValidator(ZERO)]
    )

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prize table")
        ordering = ["group", "level"]
        constraints = [
            models.UniqueConstraint(fields=["group", "level"], name="groupprize_unique_level"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="groupprize_amount_gte_0"),
            models.CheckConstraint(condition=Q(level__in=[1, 2, 3]), name="groupprize_level_valid"),
        ]

    def __str__(self):
        return f"{self.group} {self.get_level_display()}"


class Stage(models.TextChoices):
    """Rollout stage of an institution, in the order it goes through them."""

    SETUP = "setup", _("Environment setup")  # 环境搭建
    DATA = "data", _("Data collection")  # 数据采集
    TRAINING = "training", _("Training")  # 集中培训
    ACCEPTANCE = "acceptance", _("Acceptance")  # 验收
    TRIAL = "trial", _("Trial run")  # 试运行
    FORMAL = "formal", _("Formal operation")  # 正式运行


class Institution(models.Model):
    """机构: a unit of the group company, appraised within its assessment group."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=100, unique=True)
    # An institution still rolling out may not be in a group yet; it is ranked once it is.
    group = models.ForeignKey(
        AssessmentGroup,
        verbose_name=_("assessment group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="institutions",
    )
    head = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),  # 一把手
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_institution",
    )
    is_pilot = models.BooleanField(_("pilot"), default=False)  # 试点机构
    stage = models.CharField(
        _("rollout stage"), max_length=16, choices=Stage.choices, default=Stage.SETUP
    )
    formal_headcount = models.PositiveIntegerField(_("formal headcount"), default=0)  # 编制人数
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["group", "code"], name="institution_group_code"),
            models.Index(fields=["stage"], name="institution_stage"),
        ]

    def __str__(self):
        return self.name


class Employee(models.Model):
    """员工 of an institution, with the fixed monthly parts of their wage."""

    staff_number = models.CharField(
        _("staff number"), max_length=32, unique=True, validators=[CODE_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=64)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="employees",
    )
    post = models.CharField(_("post"), max_length=64)  # 岗位
    post_coefficient = models.DecimalField(  # 岗位系数
        _("post coefficient"), max_digits=5, decimal_places=2
    )
    is_formal = models.BooleanField(_("formal staff"), default=True)  # 正式在编
    is_active = models.BooleanField(_("active"), default=True)
    post_wage = models.DecimalField(_("post wage"), **MONEY, default=ZERO)  # 岗位工资
    grade_wage = models.DecimalField(_("grade wage"), **MONEY, default=ZERO)  # 薪级工资
    special_allowance = models.DecimalField(  # 特殊岗位津贴
        _("special post allowance"), **MONEY, default=ZERO
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["institution", "staff_number"]
        indexes = [
            models.Index(fields=["institution", "staff_number"], name="employee_inst_staffno"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(post_coefficient__gt=0), name="employee_post_coefficient_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(post_wage__gte=0) & Q(grade_wage__gte=0) & Q(special_allowance__gte=0),
                name="employee_wage_parts_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.staff_number})"

    @property
    def fixed_monthly_wage(self) -> Decimal:
        return self.post_wage + self.grade_wage + self.special_allowance


class ContactPerson(models.Model):
    """考核联络员: an account named by HR or the institution's head to report for the institution
    (reporting.Report). Named, and ended, never deleted: who reported when stays explained. Only
    a current naming (ended_at empty) gives the account its institution (orgs.access)."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="contact_persons",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="contact_namings",
    )
    employee = models.ForeignKey(
        Employee,
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    named_at = models.DateTimeField(_("named"), default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["institution", "named_at", "id"]
        constraints = [
            # An account is the current contact person of one institution at most.
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="contact_current_once"
            ),
            models.CheckConstraint(
                condition=(Q(ended_at__isnull=True) & Q(ended_by__isnull=True))
                | (Q(ended_at__isnull=False) & Q(ended_by__isnull=False)),
                name="contact_ended_with_who",
            ),
        ]

    def __str__(self):
        return f"{self.institution} · {self.user}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class AuditEventQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused like the model's own: the trail is append-only (the
    database refuses them too, orgs/migrations/0003_audit_append_only.py)."""

    def update(self, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    def delete(self):
        raise RuntimeError("Audit events are append-only.")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """Who changed what, when, from what to what, and from which client address. Written by
    services in the same transaction as the change; never updated or deleted (docs/AUDIT.md)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    # The request's client address (orgs.middleware); none for Celery tasks and commands.
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action"], name="audit_action"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class Notification(models.Model):
    """通知: something now waits for its recipient (a letter to sign, an appeal to answer …), shown
    under the bell and, where the deployment sets channels, sent out by e-mail and group robots
    (orgs.notifications, orgs.channels, docs/NOTIFICATIONS.md). Written by the service that made
    the change, in its transaction; the text is Chinese, rendered when it is created."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=48)  # e.g. "letter.issued"
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300)  # a path of this site
    # What it is about, like the audit trail's object (app_label.model and id), where it is one.
    about_type = models.CharField(_("object type"), max_length=64, blank=True)
    about_id = models.CharField(_("object id"), max_length=64, blank=True)
    # A notification with a key is made once per recipient (a weekly report overdue, per week).
    key = models.CharField(_("key"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list"),
            # The bell's count: a user's unread notifications.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_key_once"
            ),
            # A path of this site, never another site's address (the open view redirects to it).
            models.CheckConstraint(
                condition=Q(link__startswith="/") & ~Q(link__startswith="//"),
                name="notification_link_is_path",
            ),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationDelivery(models.Model):
    """One notification on one external channel: claimed (pending), sent, failed, or kept in the
    app because its recipient reached the day's cap. One row per notification and channel, so a
    retried or repeated delivery task never sends a notification twice on a channel."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WECOM = "wecom", _("WeCom group robot")  # 企业微信群机器人
        DINGTALK = "dingtalk", _("DingTalk group robot")  # 钉钉群机器人
        FEISHU = "feishu", _("Feishu group robot")  # 飞书群机器人

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")
        CAPPED = "capped", _("Kept in the app (daily cap)")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The notification's recipient again: the daily cap counts per person without a join.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["notification", "channel"]
        indexes = [
            models.Index(fields=["recipient", "created_at"], name="delivery_recipient_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            ),
        ]

    def __str__(self):
        return f"{self.notification_id} {self.channel} {self.status}"
