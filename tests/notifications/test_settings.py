"""The channels' settings are read from the environment and refused at start when wrong
(config/settings.py): a robot's address must be https (plain http only to this machine, and never
in production), a secret needs its address, e-mail needs a mail server. Each case starts a fresh
`manage.py` process, as tests/test_settings.py does."""

import pytest

from ..test_settings import STRONG_KEY, manage, show

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "jx.example.com",
}


def test_every_channel_is_off_by_default(tmp_path):
    expr = (
        "(s.NOTIFY_EMAIL, s.NOTIFY_WECOM_URL, s.NOTIFY_DINGTALK_URL, s.NOTIFY_FEISHU_URL, "
        "s.NOTIFY_DAILY_CAP, s.NOTIFY_MAX_TRIES)"
    )
    assert show(tmp_path, expr) == "(False, '', '', '', 20, 5)"


def test_channels_come_from_the_environment(tmp_path):
    expr = "(s.NOTIFY_WECOM_URL, s.NOTIFY_DINGTALK_SECRET, s.NOTIFY_FEISHU_URL, s.NOTIFY_DAILY_CAP)"
    values = show(
        tmp_path,
        expr,
        NOTIFY_WECOM_URL="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        NOTIFY_DINGTALK_URL="https://oapi.dingtalk.com/robot/send?access_token=t",
        NOTIFY_DINGTALK_SECRET="SECx",
        NOTIFY_FEISHU_URL="http://127.0.0.1:8999/hook",
        NOTIFY_DAILY_CAP="5",
    )
    assert values == (
        "('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', 'SECx', "
        "'http://127.0.0.1:8999/hook', 5)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NOTIFY_WECOM_URL": "http://qyapi.weixin.qq.com/x"}, "NOTIFY_WECOM_URL must be an https"),
        ({"NOTIFY_FEISHU_URL": "ftp://example.com/x"}, "NOTIFY_FEISHU_URL must be an https"),
        ({"NOTIFY_DINGTALK_URL": "oapi.dingtalk.com"}, "NOTIFY_DINGTALK_URL must be an https"),
        ({"NOTIFY_DINGTALK_SECRET": "SECx"}, "NOTIFY_DINGTALK_URL is not"),
        ({"NOTIFY_EMAIL": "true"}, "NOTIFY_EMAIL=true needs EMAIL_HOST"),
        ({"NOTIFY_DAILY_CAP": "-1"}, "NOTIFY_DAILY_CAP must be 0 or more"),
        (PRODUCTION | {"NOTIFY_WECOM_URL": "http://127.0.0.1:8999/x"}, "NOTIFY_WECOM_URL must be"),
    ],
)
def test_a_bad_setting_is_refused_at_start(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
