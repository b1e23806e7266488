"""Completion-ratio targets per half-year (上半年 / 下半年), and the mid-year standing on results.

A target was one row per indicator and institution, scored for both halves alike. Each becomes
the 下半年 (whole-year) target, and a 上半年 copy with the same figures is added, so every result
stays exactly as it was until HR enters the half-year's own figures (docs/SCORING.md)."""

from decimal import Decimal

from django.db import migrations, models


def split_targets(apps, schema_editor):
    Target = apps.get_model("appraisal", "Target")
    copies = [
        Target(
            indicator_id=t.indicator_id,
            institution_id=t.institution_id,
            period="h1",
            kind=t.kind,
            unit=t.unit,
            target_value=t.target_value,
            actual_value=t.actual_value,
            deadline=t.deadline,
            completed_on=t.completed_on,
        )
        for t in Target.objects.filter(period="h2")
    ]
    Target.objects.bulk_create(copies, batch_size=2000)


def join_targets(apps, schema_editor):
    apps.get_model("appraisal", "Target").objects.filter(period="h1").delete()


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0005_entry_idempotency_key")]

    operations = [
        migrations.AddField(
            model_name="target",
            name="period",
            field=models.CharField(
                choices=[("h1", "First half"), ("h2", "Second half")],
                default="h2",
                max_length=8,
                verbose_name="period",
            ),
            preserve_default=False,
        ),
        migrations.RemoveConstraint(model_name="target", name="target_unique"),
        migrations.RunPython(split_targets, join_targets),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.UniqueConstraint(
                fields=("indicator", "institution", "period"), name="target_unique_per_half"
            ),
        ),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.CheckConstraint(
                condition=models.Q(period__in=["h1", "h2"]), name="target_half_year"
            ),
        ),
        migrations.AddField(
            model_name="result",
            name="h1_total",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=8,
                verbose_name="first-half total",
            ),
        ),
        migrations.AddField(
            model_name="result",
            name="h1_rank",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="first-half rank"
            ),
        ),
        migrations.AddField(
            model_name="result",
            name="h1_grade",
            field=models.CharField(
                blank=True,
                choices=[("qualified", "Qualified"), ("unqualified", "Unqualified")],
                max_length=16,
                verbose_name="first-half grade",
            ),
        ),
    ]
