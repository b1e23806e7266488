"""Delivery outside the app (orgs.channels, the task orgs.deliver_notifications), against a local
HTTP receiver on 127.0.0.1 (tests/notifications/receiver.py) and Django's locmem mail backend:
the robots' JSON bodies exactly as their documentation has them, their signatures checked here
independently, retries on a 5xx then success, no second send on a repeated task, giving up after
NOTIFY_MAX_TRIES, and the daily cap. Nothing leaves the machine."""

import base64
import hashlib
import hmac
import logging
import time
from urllib.parse import unquote

import pytest
from django.core import mail
from django.urls import reverse

from orgs import channels, notifications
from orgs.models import Notification, NotificationDelivery, Role
from orgs.tasks import deliver_notifications

from ..factories import UserFactory
from .receiver import OK

pytestmark = pytest.mark.django_db

Status = NotificationDelivery.Status
SERVER_ERROR = (500, {"error": "busy"})


def _notify(users, *, kind="test.kind", title="待导出的工资表", text="甲机构的工资表已确认。"):
    return notifications.notify(
        recipients=users, kind=kind, title=title, text=text, link="/payroll/runs/7/"
    )


def _deliver(made):
    """What the on-commit callback does: the task, eager (in-process) as in the embedded default
    and the CI's PostgreSQL run."""
    return deliver_notifications.delay([n.pk for n in made]).get()


def _deliveries(channel=None):
    rows = NotificationDelivery.objects.all()
    if channel:
        rows = rows.filter(channel=channel)
    return list(rows.order_by("notification_id").values_list("status", "attempts"))


# --- Formats -------------------------------------------------------------------------------------


def test_wecom_gets_its_documented_text_message(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url("/cgi-bin/webhook/send?key=abc")
    made = _notify([world.users["head_a"]])
    assert _deliver(made) == {"sent": 1, "failed": 0, "capped": 0, "pending": 0}
    (request,) = receiver.requests
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": "abc"}
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.body == {
        "msgtype": "text",
        "text": {
            "content": "【绩效考核系统】\n待导出的工资表｜甲一把手\n甲机构的工资表已确认。\n"
            "https://jx.example.com/payroll/runs/7/"
        },
    }
    assert _deliveries() == [(Status.SENT, 1)]


def test_dingtalk_without_a_secret_is_unsigned(world, settings, receiver):
    settings.NOTIFY_DINGTALK_URL = receiver.url("/robot/send?access_token=t0k")
    _deliver(_notify([world.users["head_a"]]))
    (request,) = receiver.requests
    assert request.query == {"access_token": "t0k"}
    assert request.body == {
        "msgtype": "text",
        "text": {"content": request.body["text"]["content"]},
    }
    assert "甲机构的工资表已确认。" in request.body["text"]["content"]


def test_dingtalk_signs_with_timestamp_and_sign_in_the_query(world, settings, receiver):
    secret = "SECabc123秘密"
    settings.NOTIFY_DINGTALK_URL = receiver.url("/robot/send?access_token=t0k")
    settings.NOTIFY_DINGTALK_SECRET = secret
    before = int(time.time() * 1000)
    _deliver(_notify([world.users["head_a"]]))
    (request,) = receiver.requests
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    timestamp = request.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)  # milliseconds
    # DingTalk's rule, computed here on its own: HMAC-SHA256 keyed with the secret over
    # "timestamp\nsecret", Base64, then URL-encoded into the query (parse_qs decoded it once).
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert set(request.body) == {"msgtype", "text"}  # the signature is not in the body


def test_dingtalk_sign_is_url_encoded_in_the_request(world, settings):
    settings.NOTIFY_DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=x"
    settings.NOTIFY_DINGTALK_SECRET = "s"
    url, body = channels.robot_request("dingtalk", "你好", now=1_700_000_000.5)
    raw_sign = url.split("&sign=")[1]
    assert url.startswith(
        "https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1700000000500&sign="
    )
    assert "+" not in raw_sign and "/" not in raw_sign and "=" not in raw_sign
    assert unquote(raw_sign) == channels.dingtalk_sign("1700000000500", "s")
    assert body == {"msgtype": "text", "text": {"content": "你好"}}


def test_feishu_signs_with_timestamp_and_sign_in_the_body(world, settings, receiver):
    secret = "feishu-secret"
    settings.NOTIFY_FEISHU_URL = receiver.url("/open-apis/bot/v2/hook/abc")
    settings.NOTIFY_FEISHU_SECRET = secret
    receiver.answer((200, {"code": 0, "msg": "success", "data": {}}))
    before = int(time.time())
    _deliver(_notify([world.users["head_a"]]))
    (request,) = receiver.requests
    body = request.body
    assert set(body) == {"timestamp", "sign", "msg_type", "content"}
    assert body["msg_type"] == "text" and set(body["content"]) == {"text"}
    assert "待导出的工资表｜甲一把手" in body["content"]["text"]
    assert isinstance(body["timestamp"], str) and before <= int(body["timestamp"]) <= time.time()
    # Feishu's rule, computed here on its own: HMAC-SHA256 keyed with "timestamp\nsecret" over an
    # empty message, Base64.
    key = f"{body['timestamp']}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert _deliveries() == [(Status.SENT, 1)]


def test_feishu_without_a_secret_is_unsigned(world, settings, receiver):
    settings.NOTIFY_FEISHU_URL = receiver.url("/open-apis/bot/v2/hook/abc")
    receiver.answer((200, {"code": 0, "msg": "success"}))
    _deliver(_notify([world.users["head_a"]]))
    assert receiver.requests[0].body == {
        "msg_type": "text",
        "content": {"text": receiver.requests[0].body["content"]["text"]},
    }


def test_a_robot_gets_one_message_for_a_batch_and_splits_a_long_one(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    people = [UserFactory(username=f"head{i:02d}", name=f"一把手{i:02d}") for i in range(3)]
    _deliver(_notify(people))
    assert len(receiver.requests) == 1
    text = receiver.requests[0].body["text"]["content"]
    assert all(f"｜一把手{i:02d}" in text for i in range(3))
    # Forty: over WeCom's 2048 bytes, so several messages, each under it, together all forty.
    many = [UserFactory(username=f"many{i:02d}", name=f"多{i:02d}") for i in range(40)]
    receiver.requests.clear()
    _deliver(_notify(many))
    assert len(receiver.requests) > 1
    texts = [r.body["text"]["content"] for r in receiver.requests]
    assert all(len(t.encode()) <= 2048 for t in texts)
    assert sum(t.count("｜多") for t in texts) == 40
    assert NotificationDelivery.objects.filter(status=Status.SENT).count() == 43


def test_email_goes_to_those_with_an_address_in_chinese(world, settings):
    settings.NOTIFY_EMAIL = True
    with_address = UserFactory(username="mailed", name="有邮箱", email="mailed@example.com")
    without = UserFactory(username="unmailed", name="无邮箱", email="")
    made = _notify([with_address, without])
    assert _deliver(made)["sent"] == 1
    (message,) = mail.outbox
    assert message.to == ["mailed@example.com"]
    assert message.subject == "【绩效考核系统】待导出的工资表"
    mine = next(n for n in made if n.recipient_id == with_address.pk)
    open_url = "https://jx.example.com" + reverse("orgs:notification_open", args=[mine.pk])
    assert message.body == f"甲机构的工资表已确认。\n\n{open_url}\n\n— 绩效考核系统"
    assert NotificationDelivery.objects.filter(recipient=without).count() == 0


# --- Retries, idempotence, giving up ---------------------------------------------------------


def test_a_500_is_retried_then_sent(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    receiver.answer(SERVER_ERROR, OK)
    result = _deliver(_notify([world.users["head_a"]]))
    assert result == {"sent": 1, "failed": 0, "capped": 0, "pending": 0}
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert _deliveries() == [(Status.SENT, 2)]


def test_a_repeated_task_sends_nothing_twice(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_EMAIL = True
    user = UserFactory(username="twice", email="twice@example.com")
    made = _notify([user])
    _deliver(made)
    _deliver(made)
    channels.deliver([n.pk for n in made])
    assert len(receiver.requests) == 1 and len(mail.outbox) == 1
    assert sorted(_deliveries()) == [(Status.SENT, 1), (Status.SENT, 1)]


def test_a_retry_sends_only_what_did_not_go_out(world, settings, receiver):
    # E-mail goes out on the first try; the robot answers 500 once. The retry sends the robot's
    # message only: no second e-mail.
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_EMAIL = True
    receiver.answer(SERVER_ERROR, OK)
    _deliver(_notify([UserFactory(username="once", email="once@example.com")]))
    assert len(mail.outbox) == 1 and len(receiver.requests) == 2
    assert dict(NotificationDelivery.objects.values_list("channel", "attempts")) == {
        "email": 1,
        "wecom": 2,
    }


def test_it_gives_up_after_the_last_try(world, settings, receiver, caplog):
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_MAX_TRIES = 3
    receiver.answer(SERVER_ERROR)
    with caplog.at_level(logging.ERROR, logger="orgs.channels"):
        result = _deliver(_notify([world.users["head_a"]]))
    assert result == {"sent": 0, "failed": 1, "capped": 0, "pending": 0}
    assert len(receiver.requests) == 3
    row = NotificationDelivery.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.error.startswith("gave up after the last try") and "HTTP 500" in row.error
    assert "gave up" in caplog.text
    _deliver(Notification.objects.all())
    assert len(receiver.requests) == 3  # a failed delivery is not tried again


def test_a_worker_retries_later_with_backoff(world, settings, receiver, monkeypatch):
    """On a worker (not in-process) a failed try is handed back to Celery with a countdown that
    doubles, and the last try records the failure instead."""
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_MAX_TRIES = 3
    receiver.answer(SERVER_ERROR)
    ids = [n.pk for n in _notify([world.users["head_a"]])]
    asked = []

    class Retried(Exception):
        pass

    def retry(**kwargs):
        asked.append(kwargs)
        return Retried()

    monkeypatch.setattr(deliver_notifications, "retry", retry)
    for retries in (0, 1):
        deliver_notifications.push_request(retries=retries, is_eager=False)
        try:
            with pytest.raises(Retried):
                deliver_notifications(ids)
        finally:
            deliver_notifications.pop_request()
    assert asked == [
        {"countdown": 60, "max_retries": 2},
        {"countdown": 120, "max_retries": 2},
    ]
    deliver_notifications.push_request(retries=2, is_eager=False)
    try:
        assert deliver_notifications(ids)["failed"] == 1  # the last try: no retry, recorded
    finally:
        deliver_notifications.pop_request()
    assert len(receiver.requests) == 3 and len(asked) == 2


def test_a_timeout_is_retried(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_TIMEOUT = 0.3
    receiver.answer((200, {"errcode": 0}, 1.0), OK)
    _deliver(_notify([world.users["head_a"]]))
    assert len(receiver.requests) == 2
    assert _deliveries() == [(Status.SENT, 2)]


def test_a_network_error_is_retried(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    receiver.server.shutdown()
    receiver.server.server_close()  # nobody listens: connection refused, every try
    result = _deliver(_notify([world.users["head_a"]]))
    row = NotificationDelivery.objects.get()
    assert result["failed"] == 1 and row.attempts == 3 and "network" in row.error


@pytest.mark.parametrize(
    "answer",
    [(404, {"errmsg": "no such hook"}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})],
)
def test_a_refusal_is_not_retried(world, settings, receiver, answer):
    settings.NOTIFY_WECOM_URL = receiver.url()
    receiver.answer(answer)
    result = _deliver(_notify([world.users["head_a"], world.users["head_b"]]))
    assert len(receiver.requests) == 1
    assert result == {"sent": 0, "failed": 2, "capped": 0, "pending": 0}


def test_a_rate_limit_is_retried(world, settings, receiver):
    settings.NOTIFY_DINGTALK_URL = receiver.url()
    receiver.answer((200, {"errcode": 130101, "errmsg": "send too fast"}), OK)
    _deliver(_notify([world.users["head_a"]]))
    assert len(receiver.requests) == 2 and _deliveries() == [(Status.SENT, 2)]


def test_a_robot_address_that_is_not_https_is_refused_without_a_request(world, settings):
    settings.NOTIFY_WECOM_URL = "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
    result = _deliver(_notify([world.users["head_a"]]))
    assert result["failed"] == 1
    assert "https" in NotificationDelivery.objects.get().error


# --- The daily cap --------------------------------------------------------------------------------


def test_the_daily_cap_keeps_the_rest_in_the_app(world, settings, receiver, caplog):
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_EMAIL = True
    settings.NOTIFY_DAILY_CAP = 2
    busy = UserFactory(username="busy", name="忙人", email="busy@example.com", role=Role.HR)
    calm = UserFactory(username="calm", name="闲人", email="calm@example.com", role=Role.HR)
    with caplog.at_level(logging.INFO, logger="orgs.channels"):
        for i in range(3):
            _deliver(_notify([busy], text=f"第{i}条"))
        _deliver(_notify([calm], text="闲人的第0条"))
    # busy: two sent on both channels, the third kept in the app; calm is not affected.
    assert [m.to for m in mail.outbox] == [["busy@example.com"]] * 2 + [["calm@example.com"]]
    sent = " ".join(r.body["text"]["content"] for r in receiver.requests)
    assert "第0条" in sent and "第1条" in sent and "第2条" not in sent and "闲人的第0条" in sent
    capped = NotificationDelivery.objects.filter(status=Status.CAPPED)
    assert sorted(capped.values_list("recipient__username", "channel")) == [
        ("busy", "email"), ("busy", "wecom")
    ]  # fmt: skip
    assert "1 kept in the app only" in caplog.text
    assert notifications.unread_count(busy) == 3  # all three under the bell


def test_the_cap_counts_per_notification_within_one_batch(world, settings, receiver):
    settings.NOTIFY_WECOM_URL = receiver.url()
    settings.NOTIFY_DAILY_CAP = 1
    user = world.users["head_a"]
    made = _notify([user], text="一") + _notify([user], text="二")
    result = deliver_notifications.delay([n.pk for n in made]).get()
    assert result == {"sent": 1, "failed": 0, "capped": 1, "pending": 0}
