"""The go-live month becomes a date of the rollout (issue 14): `go_live_month`, the first day of the
month (2026-10-01), instead of `payroll_since_month`, a month number put into each batch's own year
(so a batch in January 2027 never had a month due).

An existing standard takes its old month number in the year it was created, in local time: month 10
of a standard created on 2026-11-21 becomes 2026-10-01. 0003 then drops the old field. Reversed, the
month number is taken back from the date."""

import datetime

from django.db import migrations, models
from django.utils import timezone


def go_live_from(created_at: datetime.datetime, month: int) -> datetime.date:
    """The go-live month of a standard created at `created_at` with the old month number."""
    if timezone.is_aware(created_at):
        created_at = timezone.localtime(created_at)
    return datetime.date(created_at.year, month, 1)


def forwards(apps, schema_editor):
    Standard = apps.get_model("acceptance", "Standard")
    for standard in Standard.objects.all():
        standard.go_live_month = go_live_from(standard.created_at, standard.payroll_since_month)
        standard.save(update_fields=["go_live_month"])


def backwards(apps, schema_editor):
    Standard = apps.get_model("acceptance", "Standard")
    for standard in Standard.objects.exclude(go_live_month=None):
        standard.payroll_since_month = standard.go_live_month.month
        standard.save(update_fields=["payroll_since_month"])


class Migration(migrations.Migration):
    dependencies = [
        ("acceptance", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="standard",
            name="go_live_month",
            field=models.DateField(null=True, verbose_name="go-live month"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
