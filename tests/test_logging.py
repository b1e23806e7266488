"""Logging (config/settings.py LOGGING, orgs/log_filters.py): a refusal is one WARNING line without
a traceback, a server error keeps its traceback (tests/orgs/test_layout.py), and each record is
printed once."""

import logging

from django.urls import reverse


def test_a_403_logs_one_warning_line_without_traceback(client_for, caplog):
    client = client_for("head_a")
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("orgs:audit_list"))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name.startswith("django")]
    assert len(records) == 1
    record = records[0]
    assert record.name == "django.request" and record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /orgs/audit/"
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_the_django_loggers_print_once():
    """Django's own console handler (DEBUG only) printed every django.* record a second time,
    beside the root's handler."""
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
    assert logging.getLogger("django.request").handlers == []
