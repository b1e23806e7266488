"""Celery tasks of the letters: the daily reminder of letters waiting for their holder's signature
(beat, config/settings.py). Idempotent: a letter is reminded at most once a day, however often the
task runs or is retried."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appraisal.models import Scheme

from .models import Letter
from .reminders import reminded_record, reminder_claim, reminder_claim_release
from .selectors import REMINDER_AFTER_DAYS, days_since
from .services import letters_unsigned

log = logging.getLogger(__name__)

REMINDED_SCHEMES = (Scheme.Status.OPEN, Scheme.Status.REVIEW)


def email_configured() -> bool:
    """Whether the deployment names a mail server. Django's own default EMAIL_HOST is
    "localhost", which is not a decision to send mail, so only an explicit setting counts."""
    return settings.is_overridden("EMAIL_HOST") and bool(settings.EMAIL_HOST)


def _email(letter: Letter, days: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Please sign your target responsibility letter")
        body = _(
            "The %(year)s target responsibility letter of %(institution)s (%(holder)s, "
            "version %(version)s) was issued %(days)s days ago and waits for your signature.\n\n"
            "Open it in the appraisal system: %(path)s"
        ) % {
            "year": letter.scheme.year,
            "institution": letter.institution.name,
            "holder": letter.holder_name,
            "version": letter.version,
            "days": days,
            "path": reverse("letters:letter_detail", kwargs={"pk": letter.pk}),
        }
    send_mail(subject, body, None, [letter.signer.email])


@shared_task(
    name="letters.remind_unsigned",
    autoretry_for=(OSError,),  # smtplib's errors are OSErrors
    max_retries=3,
    retry_backoff=True,
)
def remind_unsigned() -> dict:
    """Daily (beat): remind the holder of every letter of an open or reviewed year that has waited
    more than three days for their signature — in the app, and by e-mail where e-mail is
    configured and the holder has an address."""
    now = timezone.now()
    day = timezone.localdate(now).isoformat()
    mail = email_configured()
    reminded, emailed = [], 0
    for scheme in Scheme.objects.filter(status__in=REMINDED_SCHEMES).order_by("year"):
        waiting = letters_unsigned(scheme).filter(
            issued_at__lt=now - timedelta(days=REMINDER_AFTER_DAYS)
        )
        for letter in waiting:
            if not reminder_claim(letter.pk, day=day, at=now.isoformat()):
                continue  # already reminded today
            if mail and letter.signer.email:
                try:
                    _email(letter, days_since(letter.issued_at, now))
                except Exception:
                    reminder_claim_release(letter.pk, day=day)  # a retry sends it again
                    raise
                emailed += 1
            reminded_record(letter.pk, at=now.isoformat())
            reminded.append(letter.pk)
    if reminded:
        log.info("Reminded %d unsigned letters (%d by e-mail).", len(reminded), emailed)
    return {"reminded": reminded, "emailed": emailed}
