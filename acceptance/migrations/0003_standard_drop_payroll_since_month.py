"""The second half of 0002: every standard has its go-live month now; the month number goes, and
the database keeps the go-live month on the first day of a month. (A migration of its own, so the
data rewrite of 0002 is committed before the table is altered.)"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("acceptance", "0002_standard_go_live_month"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="standard",
            name="standard_payroll_month_valid",
        ),
        migrations.RemoveField(
            model_name="standard",
            name="payroll_since_month",
        ),
        migrations.AlterField(
            model_name="standard",
            name="go_live_month",
            field=models.DateField(verbose_name="go-live month"),
        ),
        migrations.AddConstraint(
            model_name="standard",
            constraint=models.CheckConstraint(
                condition=models.Q(go_live_month__day=1), name="standard_go_live_first_day"
            ),
        ),
    ]
