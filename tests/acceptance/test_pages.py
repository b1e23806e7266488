"""Acceptance pages: every URL for every persona (and the head of P01 against P02's inspection),
batches of 4 and 9 refused on the page, ticking with evidence, non-members refused, pass refused
until the mandatory items are met (the payroll month and its reason shown), fail → due for
re-acceptance → round 2, the printable report and its Excel twin, pinned query counts."""

import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from acceptance import services
from acceptance.models import Batch, Inspection, StandardItem, Tick
from orgs.models import Role

from ..factories import PASSWORD, InstitutionFactory, UserFactory
from ..personas import PERSONAS
from .conftest import confirm_month

DAY = datetime.date(2026, 11, 20)
# What a confirm dialog posts (orgs.confirm); the decision's note is the dialog's reason box.
CONFIRM = {"confirm": "yes"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
READERS = {"hr", "acceptance", "auditor"}


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text (the product's default is Chinese; the browser
    test runs in Chinese). The report and its workbook are Chinese in any language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _login(username) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _url(name, **kwargs):
    return reverse(f"acceptance:{name}", kwargs=kwargs)


def _login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _items(pilots) -> dict[str, StandardItem]:
    return {i.code: i for i in pilots.standard.items.all()}


def _batch(world, pilots, institutions, name="第一批", day=DAY):
    return services.batch_create(
        actor=world.users["hr"], name=name, team=pilots.team, date=day, institutions=institutions
    )


@pytest.fixture
def first(world, pilots):
    """Batch 第一批 of P01…P05; P01's ENV ticked with evidence by the acceptance member."""
    batch = _batch(world, pilots, pilots.institutions[:5])
    p01 = batch.inspections.get(institution__code="P01")
    services.tick_save(
        actor=world.users["acceptance"],
        inspection=p01,
        item=_items(pilots)["ENV"],
        met=True,
        note="机房已就绪",
        evidence=SimpleUploadedFile("env.pdf", PDF, content_type="application/pdf"),
    )
    return batch


def _inspection(batch, code) -> Inspection:
    return batch.inspections.get(institution__code=code)


# --- Persona matrix ------------------------------------------------------------------------------

# GET of each page on 第一批 and P01's inspection; a persona not named gets `default`.
HEAD_P01 = "head_p01"
READ_ALL = dict.fromkeys(READERS, 200)
HEADS_READ = {**READ_ALL, "head_a": 200, "head_b": 200, HEAD_P01: 200}
OWN_HEAD_READS = {**READ_ALL, "head_a": 404, "head_b": 404, HEAD_P01: 200}
GET_MATRIX = {
    "batch_list": (HEADS_READ, 403),
    "batch_detail": (OWN_HEAD_READS, 403),
    "inspection_detail": (OWN_HEAD_READS, 403),
    "tick_evidence": (OWN_HEAD_READS, 403),
    "batch_report": (READ_ALL, 403),
    "batch_report_export": (READ_ALL, 403),
    "standard_detail": (HEADS_READ, 403),
}


def _get_url(name, batch, pilots):
    p01 = _inspection(batch, "P01")
    if name in ("batch_list", "standard_detail"):
        return _url(name)
    if name == "inspection_detail":
        return _url(name, pk=p01.pk)
    if name == "tick_evidence":
        return _url(name, pk=p01.pk, item=_items(pilots)["ENV"].pk)
    return _url(name, pk=batch.pk)


def _client(client_for, persona) -> Client:
    return _login(persona) if persona == HEAD_P01 else client_for(persona)


@pytest.mark.parametrize("persona", [*PERSONAS, HEAD_P01])
@pytest.mark.parametrize("name", list(GET_MATRIX))
def test_reading_pages_per_persona(client_for, world, pilots, first, persona, name):
    expected, default = GET_MATRIX[name]
    response = _client(client_for, persona).get(_get_url(name, first, pilots))
    if persona == "anonymous":
        assert _login_redirect(response)
        return
    assert response.status_code == expected.get(persona, default), (name, persona)


def test_a_head_sees_only_their_institutions_inspection(world, pilots, first):
    client = _login(HEAD_P01)
    p02 = _inspection(first, "P02")
    for url in (
        _url("inspection_detail", pk=p02.pk),
        _url("tick_evidence", pk=p02.pk, item=_items(pilots)["ENV"].pk),
    ):
        assert client.get(url).status_code == 404
    # The batch page lists P01 only, the list page counts P01 only, and nothing is changeable.
    body = client.get(_url("batch_detail", pk=first.pk)).content.decode()
    assert 'data-code="P01"' in body and 'data-code="P02"' not in body
    assert 'data-testid="batch-start"' not in body and 'data-testid="batch-export"' not in body
    body = client.get(_url("batch_list")).content.decode()
    assert 'data-col="institutions">1<' in body
    assert 'data-testid="batch-create"' not in body and 'data-testid="due-list"' not in body
    assert f'data-inspection="{_inspection(first, "P01").pk}"' in body
    body = client.get(_url("inspection_detail", pk=_inspection(first, "P01").pk)).content.decode()
    assert 'data-testid="read-only"' in body
    assert 'data-testid="tick-form"' not in body and 'data-testid="decide-panel"' not in body


def _post_cases(batch, pilots):
    p01 = _inspection(batch, "P01")
    return {
        "batch_start": (
            _url("batch_start", pk=batch.pk),
            CONFIRM,
            {"hr": 302, "acceptance": 302},
        ),
        "batch_close": (_url("batch_close", pk=batch.pk), CONFIRM, {"hr": 302}),
        "tick_save": (
            _url("tick_save", pk=p01.pk, item=_items(pilots)["DATA"].pk),
            {"met": "yes", "note": "ok"},
            {"hr": 302, "acceptance": 302},
        ),
        "inspection_decide": (
            _url("inspection_decide", pk=p01.pk),
            {"decision": "fail", **CONFIRM},
            {"hr": 302, "acceptance": 302},
        ),
        "batch_create": (_url("batch_list"), {"name": "x"}, {"hr": 400}),
    }


@pytest.mark.parametrize("persona", [*PERSONAS, HEAD_P01])
@pytest.mark.parametrize(
    "case", ["batch_start", "batch_close", "tick_save", "inspection_decide", "batch_create"]
)
def test_changes_per_persona(client_for, world, pilots, first, persona, case):
    url, data, expected = _post_cases(first, pilots)[case]
    response = _client(client_for, persona).post(url, data)
    if persona == "anonymous":
        assert _login_redirect(response)
    else:
        assert response.status_code == expected.get(persona, 403), (case, persona)
    first.refresh_from_db()
    p01 = _inspection(first, "P01")
    changed = persona in expected and expected[persona] == 302
    if case == "batch_start":
        assert (first.status == Batch.Status.IN_PROGRESS) is changed
    if case == "tick_save":
        assert Tick.objects.filter(inspection=p01, item__code="DATA").exists() is changed
    if case == "inspection_decide":
        assert (p01.result == Inspection.Result.FAILED) is changed


def test_an_acceptance_user_outside_the_team_cannot_tick_or_decide(world, pilots, first):
    UserFactory(username="outsider", role=Role.ACCEPTANCE)
    client = _login("outsider")
    p01 = _inspection(first, "P01")
    # They read the inspection (acceptance members read every batch) but get no form.
    body = client.get(_url("inspection_detail", pk=p01.pk)).content.decode()
    assert 'data-testid="tick-form"' not in body and 'data-testid="decide-panel"' not in body
    response = client.post(
        _url("tick_save", pk=p01.pk, item=_items(pilots)["DATA"].pk), {"met": "yes"}
    )
    assert response.status_code == 403
    assert not Tick.objects.filter(inspection=p01, item__code="DATA").exists()
    decide = _url("inspection_decide", pk=p01.pk)
    assert client.post(decide, {"decision": "fail", **CONFIRM}).status_code == 403
    assert client.post(_url("batch_start", pk=first.pk), CONFIRM).status_code == 403
    p01.refresh_from_db()
    first.refresh_from_db()
    assert p01.result == "pending" and first.status == "planned"


# --- Batches -------------------------------------------------------------------------------------


def _create_post(pilots, institutions, name="第二批", day="2026-12-05"):
    return {
        "name": name,
        "team": pilots.team.pk,
        "date": day,
        "institutions": [i.pk for i in institutions],
    }


@pytest.mark.parametrize("size", [4, 9])
def test_a_batch_of_4_or_9_is_refused_on_the_page(client_for, world, pilots, size):
    client = client_for("hr")
    response = client.post(_url("batch_list"), _create_post(pilots, pilots.institutions[:size]))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="batch-errors"' in body
    assert f"A batch has 5 to 8 institutions, not {size}." in body
    assert not Batch.objects.exists() and not Inspection.objects.exists()
    # The choices stay ticked, so HR adds or removes one and tries again.
    assert body.count("checked") >= size


def test_hr_creates_a_batch_of_5_from_the_page(client_for, world, pilots):
    client = client_for("hr")
    body = client.get(_url("batch_list")).content.decode()
    # Every eligible pilot is offered with its round: P01…P09, A01, B01, not C01 (no pilot).
    assert 'data-code="P01"' in body and 'data-code="A01"' in body and 'data-code="C01"' not in body
    response = client.post(_url("batch_list"), _create_post(pilots, pilots.institutions[:5]))
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("batch_detail", pk=batch.pk)
    assert sorted(batch.inspections.values_list("institution__code", flat=True)) == [
        "P01", "P02", "P03", "P04", "P05",
    ]  # fmt: skip
    # They are in an open batch now: not offered again.
    body = client.get(_url("batch_list")).content.decode()
    assert 'data-code="P01"' not in body.split('data-testid="batch-create"')[1]
    row = body.split(f'data-batch="{batch.pk}"')[1].split("</tr>")[0]
    assert 'data-col="institutions">5<' in row and 'data-col="pending">5<' in row


def test_start_and_close_with_undecided_institutions(client_for, world, pilots, first):
    hr = client_for("hr")
    member = client_for("acceptance")
    body = member.get(_url("batch_detail", pk=first.pk)).content.decode()
    assert 'data-testid="batch-start"' in body and 'data-testid="batch-close"' not in body
    member.post(_url("batch_start", pk=first.pk), CONFIRM)
    first.refresh_from_db()
    assert first.status == Batch.Status.IN_PROGRESS
    # The page holds the close back, saying who is undecided; the server refuses it anyway.
    body = hr.get(_url("batch_detail", pk=first.pk)).content.decode()
    opener = body.split('data-testid="batch-close-open"')[1].split(">")[0]
    assert "disabled" in opener
    assert 'data-testid="batch-undecided"' in body
    response = hr.post(_url("batch_close", pk=first.pk), CONFIRM, follow=True)
    assert "P01、P02、P03、P04、P05 are not decided yet; the batch stays open." in (
        response.content.decode()
    )
    first.refresh_from_db()
    assert first.status == Batch.Status.IN_PROGRESS


# --- Ticking and deciding ------------------------------------------------------------------------


def test_a_member_ticks_with_evidence(client_for, world, pilots, first, media):
    client = client_for("acceptance")
    p01 = _inspection(first, "P01")
    item = _items(pilots)["TRAIN"]
    response = client.post(
        _url("tick_save", pk=p01.pk, item=item.pk),
        {
            "met": "yes",
            "note": "培训签到表已核",
            "evidence": SimpleUploadedFile("train.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url("inspection_detail", pk=p01.pk) + "#item-TRAIN"
    tick = Tick.objects.get(inspection=p01, item=item)
    assert tick.met and tick.note == "培训签到表已核" and tick.by == world.users["acceptance"]
    assert tick.evidence.name.endswith(".jpg")
    body = client.get(_url("inspection_detail", pk=p01.pk)).content.decode()
    article = body.split('data-code="TRAIN"')[1].split('data-testid="tick-item"')[0]
    assert 'data-met="yes"' in body.split('id="item-TRAIN"')[1][:200]
    assert "培训签到表已核" in article and 'data-testid="tick-evidence"' in article
    # The head of P01 downloads it: an attachment, never sniffed.
    response = _login(HEAD_P01).get(_url("tick_evidence", pk=p01.pk, item=item.pk))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    # An item without evidence has nothing to download.
    data = _items(pilots)["DATA"]
    services.tick_save(actor=world.users["hr"], inspection=p01, item=data, met=False)
    assert client.get(_url("tick_evidence", pk=p01.pk, item=data.pk)).status_code == 404
    # Ticking it again changes it (who, note), keeping one tick per item.
    client.post(_url("tick_save", pk=p01.pk, item=item.pk), {"met": "no", "note": "补训"})
    tick.refresh_from_db()
    assert not tick.met and tick.note == "补训" and tick.evidence.name.endswith(".jpg")


@pytest.mark.parametrize(
    "name,content,error",
    [
        ("run.exe", b"MZ", "is not accepted here"),
        ("fake.pdf", b"<script>", "is not really a PDF file"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "files here are at most"),
    ],
)
def test_bad_evidence_is_refused(client_for, world, pilots, first, name, content, error):
    p01 = _inspection(first, "P01")
    item = _items(pilots)["TEST"]
    response = client_for("acceptance").post(
        _url("tick_save", pk=p01.pk, item=item.pk),
        {"met": "yes", "evidence": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Tick.objects.filter(inspection=p01, item=item).exists()


def test_the_payroll_item_is_not_ticked(client_for, world, pilots, first):
    p01 = _inspection(first, "P01")
    response = client_for("acceptance").post(
        _url("tick_save", pk=p01.pk, item=_items(pilots)["PAY"].pk), {"met": "yes"}
    )
    assert response.status_code == 404


def test_pass_is_refused_until_the_mandatory_items_are_met(client_for, world, pilots, first):
    client = client_for("acceptance")
    p01 = _inspection(first, "P01")
    url = _url("inspection_detail", pk=p01.pk)
    for code in ("DATA", "TRAIN", "TEST"):
        client.post(_url("tick_save", pk=p01.pk, item=_items(pilots)[code].pk), {"met": "yes"})
    # The payroll item shows October failing, and why.
    body = client.get(url).content.decode()
    month = body.split('data-month="2026-10"')[1].split("</tr>")[0]
    assert 'data-ok="no"' in month and "2026-10: no payroll run computed by the system." in month
    # The page holds the pass back, naming what is missing; the server refuses it anyway.
    opener = body.split('data-testid="decide-pass-open"')[1].split(">")[0]
    assert "disabled" in opener
    assert "工资按系统发放" in body.split('data-testid="unmet-hint"')[1].split("</p>")[0]
    response = client.post(_url("inspection_decide", pk=p01.pk), {"decision": "pass", **CONFIRM})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="decide-errors"' in body
    # The refusal names the failing month and why.
    assert (
        "P01 cannot pass: mandatory items not met: "
        "工资按系统发放（自上线月份起按本系统核算结果发放）"
        "（2026-10: no payroll run computed by the system.）" in body
    )
    p01.refresh_from_db()
    assert p01.result == Inspection.Result.PENDING
    # A draft run is named as such; once confirmed, October is paid as computed and P01 passes.
    from payroll import services as pay

    pay.payroll_run_compute(
        actor=None, institution=p01.institution, month=datetime.date(2026, 10, 1)
    )
    assert (
        "2026-10: the payroll run is still a draft, not confirmed."
        in client.get(url).content.decode()
    )
    confirm_month(world, p01.institution)
    body = client.get(url).content.decode()
    month = body.split('data-month="2026-10"')[1].split("</tr>")[0]
    assert 'data-ok="yes"' in month and "2026-10: paid as computed." in month
    response = client.post(
        _url("inspection_decide", pk=p01.pk), {"decision": "pass", "reason": "合格", **CONFIRM}
    )
    assert response.status_code == 302
    p01.refresh_from_db()
    assert p01.result == Inspection.Result.PASSED and p01.note == "合格"
    body = client.get(url).content.decode()
    assert 'data-testid="decide-panel"' not in body and 'data-testid="tick-form"' not in body


def test_fail_due_for_reacceptance_then_round_2(client_for, world, pilots, first):
    member, hr = client_for("acceptance"), client_for("hr")
    p01 = _inspection(first, "P01")
    response = member.post(
        _url("inspection_decide", pk=p01.pk),
        {"decision": "fail", "reason": "工资未按系统发放", **CONFIRM},
    )
    assert response.status_code == 302
    for other in first.inspections.exclude(pk=p01.pk):
        services.inspection_decide(actor=world.users["acceptance"], inspection=other, passed=False)
    assert hr.post(_url("batch_close", pk=first.pk), CONFIRM).status_code == 302
    first.refresh_from_db()
    assert first.status == Batch.Status.CLOSED
    body = hr.get(_url("batch_list")).content.decode()
    due = body.split('data-testid="due-list"')[1].split("</table>")[0]
    assert 'data-code="P01"' in due and "P02" in due
    form = body.split('data-testid="batch-create"')[1]
    assert "P01 试点01 · round 2" in form and "P06 试点06 · round 1" in form
    response = hr.post(
        _url("batch_list"),
        _create_post(pilots, [pilots.institutions[0], *pilots.institutions[5:9]]),
    )
    assert response.status_code == 302
    second = Batch.objects.get(name="第二批")
    again = _inspection(second, "P01")
    assert again.round == 2
    body = hr.get(_url("batch_detail", pk=second.pk)).content.decode()
    assert 'data-col="round">2<' in body.split('data-code="P01"')[1].split("</tr>")[0]
    body = member.get(_url("inspection_detail", pk=again.pk)).content.decode()
    assert 'data-round="2"' in body
    history = body.split('data-testid="history"')[1]
    assert 'data-round="1" data-result="failed"' in history
    assert 'data-round="2" data-result="pending"' in history
    assert "工资未按系统发放" in history
    # P01 is no longer due.
    due = hr.get(_url("batch_list")).content.decode().split('data-testid="due-list"')[1]
    assert 'data-code="P01"' not in due.split("</table>")[0]


# --- Report and export ---------------------------------------------------------------------------


def test_report_page_and_excel(client_for, world, pilots, first):
    member = world.users["acceptance"]
    p01 = _inspection(first, "P01")
    for code in ("DATA", "TRAIN", "TEST"):
        services.tick_save(actor=member, inspection=p01, item=_items(pilots)[code], met=True)
    confirm_month(world, p01.institution)
    services.inspection_decide(actor=member, inspection=p01, passed=True)
    services.inspection_decide(actor=member, inspection=_inspection(first, "P02"), passed=False)

    body = client_for("auditor").get(_url("batch_report", pk=first.pk)).content.decode()
    assert "验收报告" in body and "第一批" in body and "第一验收组" in body
    assert "2026年11月20日" in body
    p01_row = body.split('data-code="P01"')[1].split("</tr>")[0]
    assert "第1轮" in p01_row and p01_row.count("✓ 是") == 5 and "通过" in p01_row
    p02_row = body.split('data-code="P02"')[1].split("</tr>")[0]
    assert p02_row.count("✗ 否") == 5 and "未通过" in p02_row
    assert "待定" in body.split('data-code="P03"')[1].split("</tr>")[0]
    signatures = body.split('data-testid="report-signatures"')[1]
    assert member.get_full_name() in signatures and world.users["hr"].get_full_name() in signatures
    assert "acceptance.css" in body  # its A4 print rules
    # What the payroll check found, month by month, in Chinese whatever the UI language.
    payroll = body.split('data-testid="report-payroll"')[1].split("</table>")[0]
    assert "✓ 已核验：2026-10" in payroll.split('data-code="P01"')[1].split("</tr>")[0]
    p02_payroll = payroll.split('data-code="P02"')[1].split("</tr>")[0]
    assert 'data-month="2026-10"' in p02_payroll
    assert "2026-10：没有系统计算的工资核算。" in p02_payroll
    assert "核验自上线月份 2026-10 起至验收日期的上一个月" in body

    response = client_for("acceptance").get(_url("batch_report_export", pk=first.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "验收报告_第一批_" in unquote(response["Content-Disposition"])
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == [
        "机构编码", "机构名称", "轮次",
        "环境搭建完成", "基础数据采集完成", "现场培训完成", "系统测试通过",
        "工资按系统发放（自上线月份起按本系统核算结果发放）",
        "结论", "工资核验说明",
    ]  # fmt: skip
    no_run = "2026-10：没有系统计算的工资核算。"
    assert rows[1] == ["P01", "试点01", 1, "是", "是", "是", "是", "是", "通过", "已核验：2026-10"]
    assert rows[2] == ["P02", "试点02", 1, "否", "否", "否", "否", "否", "未通过", no_run]
    assert rows[3] == ["P03", "试点03", 1, "否", "否", "否", "否", "否", "待定", no_run]
    assert len(rows) == 6
    assert all(cell.font.bold for cell in ws[1]) and ws.freeze_panes == "A2"


def test_standard_page(client_for, world, pilots):
    body = client_for("head_a").get(_url("standard_detail")).content.decode()
    assert "试点机构验收标准" in body
    pay = body.split('data-code="PAY"')[1].split("</tr>")[0]
    assert 'data-method="payroll"' in pay and "工资按系统发放" in pay
    assert 'data-method="tick"' in body.split('data-code="ENV"')[1].split("</tr>")[0]


# --- Query counts --------------------------------------------------------------------------------


def _pilots_batch(world, pilots, size, ticks):
    """A batch of `size` pilots (extra ones made as needed), `ticks` items ticked in each."""
    extra = [
        InstitutionFactory(code=f"Q{n:02d}", is_pilot=True, group=None, stage="acceptance")
        for n in range(max(0, size - 9))
    ]
    batch = _batch(world, pilots, [*pilots.institutions, *extra][:size])
    items = list(pilots.standard.items.filter(method=StandardItem.Method.TICK))[:ticks]
    for inspection in batch.inspections.all():
        for item in items:
            services.tick_save(
                actor=world.users["acceptance"], inspection=inspection, item=item, met=True
            )
    return batch


PINNED = {"batch_list": 6, "batch_detail": 10, "inspection_detail": 9}


@pytest.mark.parametrize("size,ticks", [(5, 0), (8, 4)])
@pytest.mark.parametrize("name", list(PINNED))
def test_query_counts_are_pinned(
    client_for, world, pilots, django_assert_num_queries, size, ticks, name
):
    batch = _pilots_batch(world, pilots, size, ticks)
    url = {
        "batch_list": _url("batch_list"),
        "batch_detail": _url("batch_detail", pk=batch.pk),
        "inspection_detail": _url("inspection_detail", pk=batch.inspections.first().pk),
    }[name]
    client = client_for("hr")
    client.get(url)  # the session is warm
    with django_assert_num_queries(PINNED[name]):
        assert client.get(url).status_code == 200
