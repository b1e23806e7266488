"""Notifications outside the app (docs/NOTIFICATIONS.md): e-mail through Django's mail, and the
group robots of 企业微信 (WeCom), 钉钉 (DingTalk) and 飞书 (Feishu/Lark), each in its documented
JSON format. The deployment chooses the channels (NOTIFY_* settings); by default there are none,
and notifications stay under the bell.

`deliver(ids, last_try=…)` is what the Celery task `orgs.deliver_notifications` runs:

1. **Claim**: each notification gets one `NotificationDelivery` row per channel that applies to it
   (e-mail only for a recipient with an address): pending, or capped when its recipient has
   already had `NOTIFY_DAILY_CAP` notifications sent out today; a capped one stays in the app.
2. **Send** the pending rows: one e-mail per notification; per robot, one message for the batch
   (split where the robot limits a message's length), a paragraph per notification naming its
   recipient, since a robot speaks to a group.
3. **Record** each row: sent; failed for good (a 4xx, a robot's refusal such as a wrong signature);
   or still pending after a network error, a timeout, a 5xx or a rate limit, which the task
   retries with backoff, recording them as failed on its last try.

A notification's channel is claimed once and a sent row is never sent again, so a retried or
repeated task sends nothing twice. (A worker killed between a robot's answer and the record may
send one message again when the task is redelivered: at least once, never silently lost.)
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation

from .models import Notification, NotificationDelivery, User

log = logging.getLogger(__name__)

Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status
ROBOTS = (Channel.WECOM, Channel.DINGTALK, Channel.FEISHU)
# Bytes of text one robot message may hold: WeCom's text is at most 2048 bytes; DingTalk and
# Feishu take about 20 KB per request. A batch longer than this is sent in several messages.
TEXT_LIMITS = {Channel.WECOM: 2000, Channel.DINGTALK: 18000, Channel.FEISHU: 18000}
# A robot's "too many messages" answer (WeCom 45009, DingTalk 130101, Feishu 11232): try later.
RATE_LIMITED = {45009, 130101, 11232}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Notifications speak Chinese, the product's language, as letters do, whatever language the person
# acting reads the UI in.
LANGUAGE = "zh-hans"
RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 … minutes between tries, at most an hour
RETRY_MAX_SECONDS = 3600


class DeliveryError(Exception):
    """A channel did not take a message. `transient`: worth trying again later."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    capped: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def retry(self) -> bool:
        return self.pending > 0

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "capped": self.capped,
            "pending": self.pending,
        }


# --- Which channels, where ------------------------------------------------------------------------


def enabled() -> list[str]:
    """The channels this deployment sends on, read from the settings at each call."""
    found = []
    if settings.NOTIFY_EMAIL:
        found.append(Channel.EMAIL)
    for channel in ROBOTS:
        if robot_url(channel):
            found.append(channel)
    return found


def robot_url(channel: str) -> str:
    return getattr(settings, f"NOTIFY_{channel.upper()}_URL", "")


def robot_secret(channel: str) -> str:
    return getattr(settings, f"NOTIFY_{channel.upper()}_SECRET", "")


def url_refusal(url: str) -> str | None:
    """Why a robot's address is refused, or None. The same rule config/settings.py applies when
    the process starts (settings changed later, as tests do, meet it here): HTTPS, or plain HTTP to
    this machine only."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "a robot's address must be https:// (plain http only to 127.0.0.1 or localhost)"


def backoff(retries: int) -> int:
    """Seconds to wait before try number `retries + 2`."""
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)


# --- The robots' formats ------------------------------------------------------------------------


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """DingTalk's signature: HMAC-SHA256 keyed with the secret over "timestamp\\nsecret", in
    Base64 (the caller URL-encodes it into the query string)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(timestamp: str, secret: str) -> str:
    """Feishu's signature: HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message, in
    Base64."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def robot_request(channel: str, text: str, *, now: float | None = None) -> tuple[str, dict]:
    """The URL and the JSON body of one text message to a robot, signed where a secret is set:
    WeCom `{"msgtype": "text", "text": {"content": …}}` (its key is in the URL); DingTalk the same
    body, with `timestamp` (milliseconds) and `sign` in the query string; Feishu
    `{"msg_type": "text", "content": {"text": …}}`, with `timestamp` (seconds) and `sign` in the
    body."""
    now = time.time() if now is None else now
    url, secret = robot_url(channel), robot_secret(channel)
    if channel == Channel.FEISHU:
        body: dict = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp = str(int(now))
            body = {"timestamp": timestamp, "sign": feishu_sign(timestamp, secret), **body}
        return url, body
    body = {"msgtype": "text", "text": {"content": text}}
    if channel == Channel.DINGTALK and secret:
        timestamp = str(int(now * 1000))
        sign = quote_plus(dingtalk_sign(timestamp, secret))
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
    return url, body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot's address answers, it does not send us elsewhere (a redirect is a failure)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENERS = {
    # Loopback (a test's receiver) never through a proxy the environment may name.
    True: urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect),
    False: urllib.request.build_opener(_NoRedirect),
}


def post_json(url: str, body: dict) -> dict:
    """POST `body` as JSON with the configured timeout and read the robot's JSON answer. Raises
    DeliveryError: transient for a network error, a timeout, a 5xx, a 429 or a rate limit;
    permanent for another 4xx or a robot's refusal (a non-zero errcode / code)."""
    refusal = url_refusal(url)
    if refusal:
        raise DeliveryError(refusal, transient=False)
    # S310: url_refusal above admits https, and plain http to this machine only.
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    opener = _OPENERS[urlsplit(url).hostname in LOOPBACK_HOSTS]
    try:
        with opener.open(request, timeout=settings.NOTIFY_TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        transient = error.code >= 500 or error.code == 429
        raise DeliveryError(f"HTTP {error.code}", transient=transient) from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        raise DeliveryError(f"network: {error}", transient=True) from None
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    # WeCom and DingTalk answer {"errcode": 0, "errmsg": "ok"}; Feishu {"code": 0, "msg": …}.
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        raise DeliveryError(f"refused: {code} {message}".strip(), transient=code in RATE_LIMITED)
    return answer


# --- The words ----------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_message(notification: Notification) -> EmailMessage:
    """One e-mail to the recipient, in Chinese; its link opens the notification (marking it read)
    and leads on to the object."""
    with translation.override(LANGUAGE):
        product = str(settings.PRODUCT_NAME)
        link = absolute(reverse("orgs:notification_open", args=[notification.pk]))
        body = f"{notification.text}\n\n{link}\n\n— {product}"
        subject = f"【{product}】{notification.title}"
    return EmailMessage(subject, body, None, [notification.recipient.email])


def robot_paragraph(notification: Notification) -> str:
    """A robot's message goes to a group: it names whom it is for, and links to the object itself
    (each reader sees it within their own scope)."""
    name = notification.recipient.get_full_name()
    return f"{notification.title}｜{name}\n{notification.text}\n{absolute(notification.link)}"


def robot_texts(channel: str, notifications: list[Notification]) -> list[list[Notification]]:
    """The batch split into messages under the robot's length limit, in order."""
    limit = TEXT_LIMITS[channel]
    chunks: list[list[Notification]] = []
    size = limit  # forces a first chunk
    for notification in notifications:
        length = len(robot_paragraph(notification).encode("utf-8")) + 2
        if size + length > limit and (not chunks or chunks[-1]):
            chunks.append([])
            size = len(robot_header().encode("utf-8"))
        chunks[-1].append(notification)
        size += length
    return chunks


def robot_header() -> str:
    with translation.override(LANGUAGE):
        return f"【{settings.PRODUCT_NAME}】"


def robot_text(channel: str, notifications: list[Notification]) -> str:
    text = robot_header() + "\n" + "\n\n".join(robot_paragraph(n) for n in notifications)
    limit = TEXT_LIMITS[channel]
    encoded = text.encode("utf-8")
    if len(encoded) > limit:  # one paragraph alone over the limit: cut it, the link is in the app
        text = encoded[: limit - 3].decode("utf-8", "ignore") + "…"
    return text


# --- Deliver ------------------------------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now), clock.min))


def _claim(ids: list[int], channels: list[str], now: datetime) -> int:
    """One delivery row per notification and applicable channel, pending or capped; the
    notifications claimed before (a retry, a repeated task) are left as they are. Returns how
    many notifications the cap kept in the app."""
    cap = settings.NOTIFY_DAILY_CAP
    with transaction.atomic():
        recipient_ids = sorted(
            set(Notification.objects.filter(pk__in=ids).values_list("recipient_id", flat=True))
        )
        # Two tasks for one person count the cap one after the other.
        list(User.objects.select_for_update().filter(pk__in=recipient_ids).values_list("pk"))
        claimed = set(
            NotificationDelivery.objects.filter(notification_id__in=ids).values_list(
                "notification_id", flat=True
            )
        )
        fresh = [
            n
            for n in Notification.objects.filter(pk__in=ids).select_related("recipient")
            if n.pk not in claimed
        ]
        if not fresh:
            return 0
        sent_today = defaultdict(
            int,
            NotificationDelivery.objects.filter(
                recipient_id__in=recipient_ids, created_at__gte=_day_start(now)
            )
            .exclude(status=Status.CAPPED)
            .values("recipient_id")
            .annotate(n=Count("notification_id", distinct=True))
            .values_list("recipient_id", "n"),
        )
        rows, capped = [], 0
        for notification in sorted(fresh, key=lambda n: n.pk):
            applicable = [c for c in channels if c != Channel.EMAIL or notification.recipient.email]
            if not applicable:
                continue
            allowed = sent_today[notification.recipient_id] < cap
            if allowed:
                sent_today[notification.recipient_id] += 1
            else:
                capped += 1
            rows.extend(
                NotificationDelivery(
                    notification=notification,
                    recipient_id=notification.recipient_id,
                    channel=channel,
                    status=Status.PENDING if allowed else Status.CAPPED,
                    created_at=now,
                )
                for channel in applicable
            )
        NotificationDelivery.objects.bulk_create(rows)
    if capped:
        log.info(
            "Notifications: %d kept in the app only, their recipients had %d sent out today "
            "(NOTIFY_DAILY_CAP).",
            capped,
            cap,
        )
    return capped


def _record(rows: list[NotificationDelivery], *, status: str, error: str = "") -> None:
    values = {"status": status, "error": error[:300]}
    if status == Status.SENT:
        values["sent_at"] = timezone.now()
    for row in rows:
        NotificationDelivery.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, **values)


def _send_email(rows: list[NotificationDelivery], outcome: Outcome) -> None:
    try:
        with get_connection() as connection:
            for row in rows:
                message = email_message(row.notification)
                message.connection = connection
                try:
                    message.send()
                except OSError as error:  # smtplib's errors are OSErrors
                    _record([row], status=Status.PENDING, error=f"smtp: {error}")
                    outcome.errors.append(f"email: {error}")
                    return  # the server is in trouble: the rest wait for the retry
                _record([row], status=Status.SENT)
                outcome.sent += 1
    except OSError as error:  # connecting or closing
        outcome.errors.append(f"email: {error}")


def _send_robot(channel: str, rows: list[NotificationDelivery], outcome: Outcome) -> None:
    by_notification = {row.notification_id: row for row in rows}
    chunks = [
        [by_notification[n.pk] for n in chunk]
        for chunk in robot_texts(channel, [row.notification for row in rows])
    ]
    for index, chunk in enumerate(chunks):
        url, body = robot_request(channel, robot_text(channel, [r.notification for r in chunk]))
        try:
            post_json(url, body)
        except DeliveryError as error:
            outcome.errors.append(f"{channel}: {error}")
            if error.transient:
                _record(chunk, status=Status.PENDING, error=str(error))
                return  # this robot again on the next try, from this message on
            # A refusal (a wrong key or signature, a keyword missing) would refuse the rest too.
            log.error("Notifications: the %s robot refused a message: %s", channel, error)
            for refused in chunks[index:]:
                _record(refused, status=Status.FAILED, error=str(error))
            return
        _record(chunk, status=Status.SENT)
        outcome.sent += len(chunk)


def deliver(notification_ids: list[int], *, last_try: bool = True) -> Outcome:
    """Claim, send and record the notifications' deliveries on the enabled channels (the module's
    docstring). On the last try, what is still pending is recorded as failed."""
    outcome = Outcome()
    channels = enabled()
    ids = sorted(set(notification_ids))
    if not channels or not ids:
        return outcome
    _claim(ids, channels, timezone.now())
    pending = (
        NotificationDelivery.objects.filter(
            notification_id__in=ids, status=Status.PENDING, channel__in=channels
        )
        .select_related("notification__recipient")
        .order_by("notification_id")
    )
    by_channel: dict[str, list[NotificationDelivery]] = defaultdict(list)
    for row in pending:
        by_channel[row.channel].append(row)
    for channel, rows in by_channel.items():
        if channel == Channel.EMAIL:
            _send_email(rows, outcome)
        else:
            _send_robot(channel, rows, outcome)
    if last_try:
        gave_up = NotificationDelivery.objects.filter(
            notification_id__in=ids, status=Status.PENDING
        )
        if gave_up.exists():
            error = "; ".join(outcome.errors)[:250]
            gave_up.update(status=Status.FAILED, error=f"gave up after the last try: {error}")
            log.error("Notifications: gave up on %s after the last try: %s", ids, error)
    counts = dict(
        NotificationDelivery.objects.filter(notification_id__in=ids)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    outcome.failed = counts.get(Status.FAILED, 0)
    outcome.capped = counts.get(Status.CAPPED, 0)
    outcome.pending = counts.get(Status.PENDING, 0)
    return outcome
