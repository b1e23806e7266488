"""An uploaded workbook kept between its check and its confirmed import (docs/PAYROLL.md, "Excel").

An import writes many rows, so the pages import in two steps: the upload is read and validated
(nothing is written) and, when it is sound, kept here while the page says what the import will
write; the confirm dialog then posts its token, and the confirmed view imports the kept file —
read and validated again, since the database may have changed in between. Only the user who
uploaded a file may import it; it is kept an hour and removed once imported. The record is in the
cache (like the export jobs'), the file under MEDIA_ROOT/imports/ under a generated name.
"""

import re
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File

STAGE_KEY = "payroll:upload:{}"
STAGE_TTL = 3600
STAGE_DIR = "imports"
TOKEN = re.compile(r"[0-9a-f]{32}")
CHUNK = 64 * 1024


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / STAGE_DIR


def _path(token: str) -> Path:
    return _folder() / f"{token}.xlsx"


def upload_stage(*, user, file, kind: str, **details) -> str:
    """Keep a checked upload for `user` and return its token. `kind` names the import ("payroll",
    "paid"); `details` (e.g. the month) are given back by upload_get."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    _old_uploads_delete(folder)
    token = uuid.uuid4().hex
    if hasattr(file, "seek"):
        file.seek(0)
    with open(_path(token), "wb") as out:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            out.write(chunk)
    name = Path(str(getattr(file, "name", "") or "workbook.xlsx")).name
    record = {"user_id": user.pk, "kind": kind, "name": name, **details}
    cache.set(STAGE_KEY.format(token), record, STAGE_TTL)
    return token


def upload_get(token: str, *, user, kind: str) -> tuple[File, dict] | None:
    """The kept file (open, named as uploaded) and its record, if `user` uploaded it for `kind`
    and it is still kept; None otherwise, so nobody learns of someone else's upload."""
    if not TOKEN.fullmatch(token or ""):
        return None
    record = cache.get(STAGE_KEY.format(token))
    if (
        record is None
        or record.get("user_id") != getattr(user, "pk", None)
        or record.get("kind") != kind
    ):
        return None
    try:
        handle = open(_path(token), "rb")  # noqa: SIM115 — the caller closes it
    except FileNotFoundError:
        return None
    return File(handle, name=record["name"]), record


def upload_discard(token: str) -> None:
    """Forget a kept upload (once imported, or refused when imported)."""
    if TOKEN.fullmatch(token or ""):
        cache.delete(STAGE_KEY.format(token))
        _path(token).unlink(missing_ok=True)


def _old_uploads_delete(folder: Path) -> None:
    limit = time.time() - STAGE_TTL
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # removed by another request first
