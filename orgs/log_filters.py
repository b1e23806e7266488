"""Logging filters (config/settings.py LOGGING).

Django logs every refused request on `django.request` with the exception that caused it, so an
ordinary 403 (a role that may not see a page: `PermissionDenied`) or a 400 came with a full
traceback, as if something had broken. A refusal is the system working: one WARNING line says
which path was refused. Server errors (5xx) keep their traceback.
"""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
