"""Small helpers of the reporting tests."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reporting import services
from reporting.models import Report

PDF = b"%PDF-1.4 evidence of the figure"
CONFIRM = {"confirm": "yes"}


def pdf(name="佐证.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def report_of(world, year, institution=None, period="h1", actor=None) -> Report:
    institution = institution or world.a
    actor = actor or (
        world.users["contact_a"] if institution == world.a else world.users["contact_b"]
    )
    return services.report_open(
        actor=actor, scheme=year.scheme, institution=institution, period=period
    )


def item(report, code):
    return report.items.select_related("indicator", "report").get(indicator__code=code)


def url(name, *args):
    return reverse(f"reporting:{name}", args=args)


def api(name, *args):
    return reverse(f"reporting-{name}", args=args)
