"""数据填报 past its reporting deadline is an early warning (研判预警, issue 17 item 5): on HR's
overview and the head's portal, with the rule of the reporting 待办."""

import datetime

from django.urls import reverse

from appraisal.models import Scheme
from appraisal.recompute import year_results_recompute
from bulletins import warnings
from bulletins.watchlist import report_overdue_ids
from orgs.models import Institution
from reporting import services

from .helpers import item, report_of

DAY = datetime.date(2026, 7, 20)


def _deadline(year, day=datetime.date(2026, 7, 10)):
    Scheme.objects.filter(pk=year.scheme.pk).update(h1_report_deadline=day)
    year.scheme.refresh_from_db()


def test_no_deadline_passed_warns_nobody(world, year):
    appraised = Institution.objects.all()
    assert report_overdue_ids(year.scheme, appraised, DAY) == set()
    _deadline(year, datetime.date(2026, 7, 20))  # the deadline day itself is not past
    assert report_overdue_ids(year.scheme, appraised, DAY) == set()


def test_every_institution_without_a_submitted_report_is_overdue(world, year, ratio):
    _deadline(year)
    appraised = Institution.objects.all()
    assert report_overdue_ids(year.scheme, appraised, DAY) == {world.a.pk, world.b.pk, world.c.pk}
    report = report_of(world, year)  # A01's, still a draft: overdue too
    assert world.a.pk in report_overdue_ids(year.scheme, appraised, DAY)
    contact = world.users["contact_a"]
    services.item_save(actor=contact, item=item(report, "B3"), actual_value="1100")
    services.report_submit(actor=contact, report=report)  # with the head now: submitted
    assert report_overdue_ids(year.scheme, appraised, DAY) == {world.b.pk, world.c.pk}
    # A warning of its own kind, between an overdue explanation and an unsigned letter.
    found = warnings.year_warnings(
        [], _limits(), report_overdue={world.b.pk}, letter_unsigned={world.b.pk}
    )
    assert [w.code for w in found] == [warnings.Code.REPORT_OVERDUE, warnings.Code.LETTER_UNSIGNED]


def _limits():
    from decimal import Decimal

    return warnings.Thresholds(
        qualify_line=Decimal("800"), veto_line=Decimal("30"),
        veto_margin=Decimal("10"), prize_margin=Decimal("5"),
    )  # fmt: skip


def test_the_overview_and_the_portal_show_it(world, year, client_for):
    _deadline(year, datetime.date(2026, 1, 5))
    year_results_recompute(scheme_id=year.scheme.pk)
    overview = client_for("hr").get(reverse("dashboard:overview", kwargs={"year": 2026}))
    body = overview.content.decode()
    assert "Data report overdue" in body
    assert "/reporting/?institution=A01&amp;overdue=on" in body
    portal = client_for("head_a").get(
        reverse("dashboard:portal", kwargs={"year": 2026, "code": "A01"})
    )
    assert "Data report overdue" in portal.content.decode()
