"""Bulletin pages: every URL as every persona (allowed, 403, 404, login), what each one sees of a
bulletin and of the explanation requests, HR's generate / regenerate / publish / review and the
policy form, the head's submission with an attachment, the Excel file, and pinned query counts."""

import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bulletins import services
from bulletins.models import Bulletin, ExplanationRequest, WarningPolicy
from orgs.models import AuditEvent

from ..factories import InstitutionFactory
from ..personas import PERSONAS, SIGNED_IN, statuses
from .conftest import PDF, recompute

NOV_1 = datetime.date(2026, 11, 1)
MONDAY = datetime.date(2026, 11, 16)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pub(world, ranked):
    """October's monthly bulletin, published: A01, E01, F01 and G01 are asked to explain."""
    bulletin = services.bulletin_generate(scheme=ranked.scheme, kind="monthly", day=NOV_1)
    return services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)


@pytest.fixture
def draft(ranked):
    return services.bulletin_generate(scheme=ranked.scheme, kind="weekly", day=MONDAY)


@pytest.fixture
def asked(world, pub, media):
    """A01's request, submitted by its head with a PDF."""
    request = ExplanationRequest.objects.get(bulletin=pub, institution=world.a)
    return services.explanation_submit(
        actor=world.users["head_a"],
        request=request,
        text="重点项目推进滞后，正在整改。",
        attachment=SimpleUploadedFile("说明.pdf", PDF),
    )


def url(name, **kwargs):
    return reverse(f"bulletins:{name}", kwargs=kwargs)


# What a confirm dialog posts (orgs.confirm): the confirmation, and its reason box when asked.
CONFIRM = {"confirm": "yes"}
POLICY = {"veto_margin": "8", "prize_margin": "3", "explanation_bottom_n": "3"}


def login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def check(response, persona, expected: dict, default: int):
    if persona == "anonymous":
        assert login_redirect(response), persona
    else:
        assert response.status_code == expected.get(persona, default), (persona, response)


# --- Every page as every persona -----------------------------------------------------------------

#                         hr  head_a head_b scorer accept payroll auditor norole
READ = {
    "bulletin_list": statuses("200 200 200 200 200 200 200 403"),
    "published": statuses("200 200 200 200 200 200 200 403"),
    "published_xlsx": statuses("200 200 200 200 200 200 200 403"),
    "draft": statuses("200 404 404 404 404 404 200 403"),
    "draft_xlsx": statuses("200 404 404 404 404 404 200 403"),
    "explanation_list": statuses("200 200 200 403 403 403 200 403"),
    "explanation_detail": statuses("200 200 404 403 403 403 200 403"),
    "explanation_attachment": statuses("200 200 404 403 403 403 200 403"),
    "policy": statuses("200 403 403 403 403 403 403 403"),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", list(READ))
def test_reading_pages_per_persona(client_for, world, pub, draft, asked, persona, page):
    target = {
        "bulletin_list": url("bulletin_list"),
        "published": url("bulletin_detail", pk=pub.pk),
        "published_xlsx": url("bulletin_xlsx", pk=pub.pk),
        "draft": url("bulletin_detail", pk=draft.pk),
        "draft_xlsx": url("bulletin_xlsx", pk=draft.pk),
        "explanation_list": url("explanation_list"),
        "explanation_detail": url("explanation_detail", pk=asked.pk),
        "explanation_attachment": url("explanation_attachment", pk=asked.pk),
        "policy": url("policy", year=2026),
    }[page]
    check(client_for(persona).get(target), persona, READ[page], 200)


def test_missing_objects_are_404(client_for, world, pub):
    client = client_for("hr")
    for target in (
        url("bulletin_detail", pk=99999),
        url("bulletin_xlsx", pk=99999),
        url("explanation_detail", pk=99999),
        url("explanation_attachment", pk=99999),
        url("policy", year=1999),
    ):
        assert client.get(target).status_code == 404, target
    # A request without an attachment has nothing to download.
    request = ExplanationRequest.objects.get(bulletin=pub, institution=world.a)
    assert client.get(url("explanation_attachment", pk=request.pk)).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_hr_actions_per_persona(client_for, world, ranked, draft, persona):
    client = client_for(persona)
    responses = [
        client.post(url("bulletin_regenerate", pk=draft.pk), CONFIRM),
        client.post(url("bulletin_publish", pk=draft.pk), CONFIRM),
        client.post(url("bulletin_list"), {"year": 2026, "kind": "monthly", "day": "2026-11-01"}),
        client.post(
            url("policy", year=2026),
            {**POLICY, "explanation_days": "5", "reason": "调整预警口径", **CONFIRM},
        ),
    ]
    for response in responses:
        check(response, persona, {"hr": 302}, 403)
    draft.refresh_from_db()
    assert (draft.status == "published") is (persona == "hr")
    assert Bulletin.objects.filter(kind="monthly").exists() is (persona == "hr")
    assert WarningPolicy.objects.exists() is (persona == "hr")


@pytest.mark.parametrize("persona", PERSONAS)
def test_submitting_per_persona(client_for, world, pub, media, persona):
    request = ExplanationRequest.objects.get(bulletin=pub, institution=world.a)
    response = client_for(persona).post(
        url("explanation_submit", pk=request.pk), {"text": "说明情况"}
    )
    check(response, persona, {"head_a": 302, "head_b": 404}, 403)
    request.refresh_from_db()
    assert (request.status == "submitted") is (persona == "head_a")


@pytest.mark.parametrize("persona", PERSONAS)
def test_reviewing_per_persona(client_for, world, asked, persona):
    response = client_for(persona).post(
        url("explanation_review", pk=asked.pk), {"reason": "已阅", **CONFIRM}
    )
    check(response, persona, {"hr": 302, "head_b": 403}, 403)
    asked.refresh_from_db()
    assert (asked.status == "reviewed") is (persona == "hr")


# --- What each one sees --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN[:-1])
def test_list_shows_drafts_to_hr_and_auditors_only(client_for, world, pub, draft, persona):
    body = client_for(persona).get(url("bulletin_list")).content.decode()
    assert f'data-bulletin="{pub.pk}"' in body
    assert (f'data-bulletin="{draft.pk}"' in body) is (persona in ("hr", "auditor"))
    assert ('data-testid="bulletin-generate"' in body) is (persona == "hr")


def test_list_filters_by_year_and_kind(client_for, world, pub, draft):
    client = client_for("hr")
    body = client.get(url("bulletin_list"), {"kind": "weekly"}).content.decode()
    assert f'data-bulletin="{draft.pk}"' in body and f'data-bulletin="{pub.pk}"' not in body
    body = client.get(url("bulletin_list"), {"year": 2025}).content.decode()
    assert 'data-testid="no-bulletins"' in body


@pytest.mark.parametrize("persona", ["head_a", "head_b", "scorer", "payroll", "acceptance"])
def test_a_published_bulletin_is_seen_whole(client_for, world, pub, persona):
    body = client_for(persona).get(url("bulletin_detail", pk=pub.pk)).content.decode()
    # Every unit of every group, with the lagging ones marked (rankings are public in the group).
    for code in ("A01", "B01", "C01", "D01", "E01", "F01", "G01"):
        lagging = "true" if code in ("A01", "E01", "F01", "G01") else "false"
        assert f'data-code="{code}" data-lagging="{lagging}"' in body, code
    assert 'data-testid="bulletin-publish"' not in body


@pytest.mark.parametrize(
    "persona,sees",
    [
        ("hr", {"A01", "E01", "F01", "G01"}),
        ("auditor", {"A01", "E01", "F01", "G01"}),
        ("head_a", {"A01"}),
        ("head_b", set()),
        ("scorer", set()),
    ],
)
def test_explanation_requests_of_a_bulletin_per_persona(client_for, world, pub, persona, sees):
    response = client_for(persona).get(url("bulletin_detail", pk=pub.pk))
    rows = {r.request.institution.code for r in response.context["view"].explanations}
    assert rows == sees
    body = response.content.decode()
    for request in ExplanationRequest.objects.all():
        link = url("explanation_detail", pk=request.pk)
        assert (link in body) is (request.institution.code in sees)


def test_detail_lists_warnings_and_movement(client_for, world, pub):
    body = client_for("head_b").get(url("bulletin_detail", pk=pub.pk)).content.decode()
    assert 'data-code="E01" data-warning="vetoed"' in body
    assert 'data-code="D01" data-warning="prize_at_risk"' in body
    assert "only 5.00 points ahead of the unit below" in body
    assert 'data-movement="new"' in body  # the first monthly bulletin of the year


@pytest.mark.parametrize("persona", ["head_b", "scorer"])
def test_other_heads_cannot_reach_an_explanation_or_its_attachment(client_for, asked, persona):
    client = client_for(persona)
    expected = 404 if persona == "head_b" else 403
    assert client.get(url("explanation_detail", pk=asked.pk)).status_code == expected
    assert client.get(url("explanation_attachment", pk=asked.pk)).status_code == expected
    assert client.post(url("explanation_submit", pk=asked.pk), {"text": "x"}).status_code in (
        403,
        404,
    )


def test_explanation_list_per_persona(client_for, world, pub, asked):
    hr = client_for("hr").get(url("explanation_list")).content.decode()
    assert hr.count("data-explanation=") == 4
    head_a = client_for("head_a").get(url("explanation_list")).content.decode()
    assert head_a.count("data-explanation=") == 1 and 'data-code="A01"' in head_a
    head_b = client_for("head_b").get(url("explanation_list")).content.decode()
    assert 'data-testid="no-explanations"' in head_b


def test_explanation_list_flags_and_filters_overdue(client_for, world, pub, asked):
    late = ExplanationRequest.objects.get(bulletin=pub, institution__code="G01")
    ExplanationRequest.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client = client_for("hr")
    body = client.get(url("explanation_list")).content.decode()
    assert f'data-explanation="{late.pk}" data-code="G01" data-status="requested" ' \
        'data-overdue="true"' in body  # fmt: skip
    assert body.count('data-overdue="true"') == 1
    body = client.get(url("explanation_list"), {"overdue": "true"}).content.decode()
    assert body.count("data-explanation=") == 1
    body = client.get(url("explanation_list"), {"status": "submitted"}).content.decode()
    assert body.count("data-explanation=") == 1 and 'data-code="A01"' in body
    body = client.get(url("explanation_list"), {"institution": "F01"}).content.decode()
    assert body.count("data-explanation=") == 1 and 'data-code="F01"' in body


# --- HR's work -----------------------------------------------------------------------------------


def test_hr_generates_regenerates_and_publishes_from_the_pages(client_for, world, ranked):
    client = client_for("hr")
    response = client.post(
        url("bulletin_list"), {"year": 2026, "kind": "monthly", "day": "2026-11-01"}
    )
    bulletin = Bulletin.objects.get()
    assert response["Location"] == url("bulletin_detail", pk=bulletin.pk)
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="bulletin-publish"' in body and 'data-testid="bulletin-regenerate"' in body
    response = client.post(url("bulletin_regenerate", pk=bulletin.pk), CONFIRM)
    assert response.status_code == 302 and Bulletin.objects.get().pk == bulletin.pk
    assert AuditEvent.objects.filter(action="bulletin.regenerate").count() == 1
    client.post(url("bulletin_publish", pk=bulletin.pk), CONFIRM)
    bulletin.refresh_from_db()
    assert bulletin.status == "published"
    assert ExplanationRequest.objects.filter(bulletin=bulletin).count() == 4
    body = client.get(url("bulletin_detail", pk=bulletin.pk)).content.decode()
    assert 'data-testid="bulletin-publish"' not in body
    # The period is published: generating it again is refused, and the page says why.
    response = client.post(
        url("bulletin_list"), {"year": 2026, "kind": "monthly", "day": "2026-11-15"}
    )
    assert response.status_code == 400
    assert "never changed" in response.content.decode()
    # So is regenerating it.
    response = client.post(url("bulletin_regenerate", pk=bulletin.pk), CONFIRM, follow=True)
    assert "never changed" in response.content.decode()


def test_generate_form_refuses_a_year_without_results(client_for, world, ranked):
    response = client_for("hr").post(
        url("bulletin_list"), {"year": 2030, "kind": "weekly", "day": "2026-11-16"}
    )
    assert response.status_code == 400 and not Bulletin.objects.exists()


def test_hr_sets_the_policy(client_for, world, ranked):
    client = client_for("hr")
    body = client.get(url("policy", year=2026)).content.decode()
    assert 'name="explanation_bottom_n"' in body and 'value="2"' in body
    changed = {**POLICY, "explanation_bottom_n": "1", "explanation_days": "5"}
    response = client.post(
        url("policy", year=2026),
        {**changed, "veto_margin": "-1", "reason": "调整", **CONFIRM},
    )
    assert response.status_code == 400 and not WarningPolicy.objects.exists()
    # Reviewed first: the page says what changes and what follows, and saves nothing.
    body = client.get(url("policy", year=2026), {**changed, "review": "1"}).content.decode()
    assert 'data-testid="policy-changes"' in body and not WarningPolicy.objects.exists()
    dialog = body.split('data-testid="policy-save"')[1].split("</dialog>")[0]
    assert 'name="veto_margin" value="8"' in dialog and 'name="reason"' in dialog
    # Saved with the dialog's confirmation and its reason, which the audit trail keeps.
    response = client.post(url("policy", year=2026), {**changed, "reason": "调整", **CONFIRM})
    assert response.status_code == 302
    policy = WarningPolicy.objects.get()
    assert (str(policy.veto_margin), policy.explanation_bottom_n, policy.explanation_days) == (
        "8.00",
        1,
        5,
    )


def test_head_submits_with_attachment_and_hr_reviews(client_for, world, pub, media):
    request = ExplanationRequest.objects.get(bulletin=pub, institution=world.a)
    head = client_for("head_a")
    page = head.get(url("explanation_detail", pk=request.pk)).content.decode()
    assert 'data-testid="explanation-form"' in page and 'data-testid="review-form"' not in page
    # A renamed script is refused, and the page says so.
    response = head.post(
        url("explanation_submit", pk=request.pk),
        {"text": "说明", "attachment": SimpleUploadedFile("a.pdf", b"#!/bin/sh\n")},
    )
    assert response.status_code == 400 and "is not really a PDF file" in response.content.decode()
    response = head.post(url("explanation_submit", pk=request.pk), {"text": ""})
    assert response.status_code == 400
    response = head.post(
        url("explanation_submit", pk=request.pk),
        {"text": "正在整改", "attachment": SimpleUploadedFile("说明.pdf", PDF)},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "submitted" and request.attachment
    download = head.get(url("explanation_attachment", pk=request.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    assert unquote(download["Content-Disposition"]).endswith(".pdf")

    hr = client_for("hr")
    page = hr.get(url("explanation_detail", pk=request.pk)).content.decode()
    assert 'data-testid="review-form"' in page and 'data-testid="explanation-form"' not in page
    assert "正在整改" in page
    hr.post(url("explanation_review", pk=request.pk), {"reason": "同意", **CONFIRM})
    request.refresh_from_db()
    assert request.status == "reviewed"
    # Reviewed: the head's form is gone, and a late post changes nothing.
    page = head.get(url("explanation_detail", pk=request.pk)).content.decode()
    assert 'data-testid="explanation-form"' not in page and "同意" in page
    head.post(url("explanation_submit", pk=request.pk), {"text": "改"})
    request.refresh_from_db()
    assert request.text == "正在整改"
    response = hr.post(
        url("explanation_review", pk=request.pk), {"reason": "x", **CONFIRM}, follow=True
    )
    assert "reviewed already" in response.content.decode()


# --- The Excel file ------------------------------------------------------------------------------


def test_the_workbook_is_the_frozen_bulletin(client_for, world, year, pub):
    from .conftest import score

    score(world, year, world.a, "-40", indicator="C1")  # after publication: not in the file
    recompute(year)
    response = client_for("head_b").get(url("bulletin_xlsx", pk=pub.pk))
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"]).endswith("月度通报_2026_第1期_2026-10.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["排名", "预警", "通报信息"]
    rows = list(workbook["排名"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:6] == ("组别", "名次", "上期名次", "升降", "机构编码", "机构名称")
    by_code = {row[4]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert [row[4] for row in rows[1:]] == ["D01", "C01", "A01", "E01", "B01", "F01", "G01"]
    a = by_code["A01"]
    assert (a["组别"], a["名次"], a["总分"], a["后进"], a["升降"], a["奖项"]) == (
        "第一组",
        3,
        950,
        "是",
        "新",
        "二等奖",
    )
    assert by_code["E01"]["一票否决"] == "是" and by_code["E01"]["预警"] == "一票否决"
    assert workbook["排名"]["L2"].number_format == "0.00"
    warnings = list(workbook["预警"].iter_rows(values_only=True))
    assert warnings[1] == ("E01", "E01机构", "一票否决", "一票否决类扣分30.00分，已达否决线")
    assert warnings[2] == ("D01", "D01机构", "奖项不稳", "现获一等奖，仅领先下一名5.00分")
    info = dict(list(workbook["通报信息"].iter_rows(values_only=True))[1:])
    assert (info["类别"], info["期数"], info["状态"]) == ("月度通报", "第1期", "已发布")


# --- Query counts --------------------------------------------------------------------------------

# Session and user, then the page's own queries; the same with 7 or 17 institutions.
PINNED = {"bulletin_list": 5, "bulletin_detail": 5, "explanation_list": 5}


def _more_units(world, year, ranked, n):
    for i in range(n):
        unit = InstitutionFactory(code=f"X{i:02d}", group=world.g1 if i % 2 else world.g2)
        year.indicators["B2"].institutions.add(unit)
    recompute(year)


@pytest.mark.parametrize("extra", [0, 10])
@pytest.mark.parametrize("name", list(PINNED))
def test_query_counts_are_pinned(
    client_for, world, year, ranked, django_assert_num_queries, extra, name
):
    _more_units(world, year, ranked, extra)
    bulletin = services.bulletin_generate(scheme=ranked.scheme, kind="monthly", day=NOV_1)
    services.bulletin_publish(actor=world.users["hr"], bulletin=bulletin)
    services.bulletin_generate(scheme=ranked.scheme, kind="weekly", day=MONDAY)
    assert bulletin.lines.count() == 7 + extra
    target = {
        "bulletin_list": url("bulletin_list"),
        "bulletin_detail": url("bulletin_detail", pk=bulletin.pk),
        "explanation_list": url("explanation_list"),
    }[name]
    client = client_for("hr")
    client.get(target)  # the session is warm
    with django_assert_num_queries(PINNED[name]):
        assert client.get(target).status_code == 200
