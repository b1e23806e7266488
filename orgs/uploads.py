"""Every uploaded file passes here: evidence, appeal evidence, acceptance evidence, explanation
attachments and every import workbook (docs/IMPORT_EXPORT.md, "Uploads").

* **Kind by content.** The first bytes say what a file is (PDF, PNG, JPEG, GIF, WebP; an Office
  Open XML zip is an xlsx when it holds ``xl/workbook.xml``, a docx when ``word/document.xml``), and
  the name's extension must agree. Anything else is refused with a message naming the file.
* **Zip guards** for every zip, before anything parses it: member count, total unpacked size,
  compression ratio per member, no absolute or ``..`` member names, and no DTD (``<!DOCTYPE``,
  ``<!ENTITY``) in any member whatever its name — Office never writes one, so entity expansion
  (billion laughs) and external entities (XXE) are refused here; openpyxl's defusedxml parser is
  the second wall. Every member is read, not only those named .xml: a reader finds its parts
  through the package's relationships, so a sheet stored as ``sheet1.bin`` is still a sheet.
* **Size limits** from settings (``UPLOAD_MAX_BYTES``, ``IMPORT_MAX_BYTES``).
* **Stored names** are generated (``stored_name``): a random token and a sanitized stem, under the
  model's directory, with the verified extension; the original name is never a path.
* **Downloads** (orgs.downloads) send the sanitized name as an attachment, typed by content.

No C dependency: Python's zipfile reads at most a member's declared size, so the declared sizes
checked here bound what any later reader unpacks.
"""

import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Kind:
    name: str
    extensions: tuple[str, ...]
    content_type: str
    label: str  # how a message names it


PDF = Kind("pdf", ("pdf",), "application/pdf", "PDF")
PNG = Kind("png", ("png",), "image/png", "PNG")
JPEG = Kind("jpeg", ("jpg", "jpeg"), "image/jpeg", "JPEG")
GIF = Kind("gif", ("gif",), "image/gif", "GIF")
WEBP = Kind("webp", ("webp",), "image/webp", "WebP")
XLSX = Kind(
    "xlsx",
    ("xlsx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel (xlsx)",
)
DOCX = Kind(
    "docx",
    ("docx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word (docx)",
)

PICTURES_AND_PDF = (PDF, PNG, JPEG, GIF, WEBP)
# A score's or an appeal's evidence (appraisal): documents, pictures, workbooks, Word files.
SCORING_EVIDENCE_KINDS = (*PICTURES_AND_PDF, XLSX, DOCX)
# Acceptance evidence taken on site: a scanned document or a photo of it.
ACCEPTANCE_EVIDENCE_KINDS = PICTURES_AND_PDF
# An explanation's attachment: acceptance evidence plus a workbook of figures.
ATTACHMENT_KINDS = (*PICTURES_AND_PDF, XLSX)
WORKBOOK_KINDS = (XLSX,)

ALL_KINDS = (PDF, PNG, JPEG, GIF, WEBP, XLSX, DOCX)
_ZIP_MAGIC = b"PK\x03\x04"
# Looked for in every member: a part's name says nothing about how a reader parses it.
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_SCAN_CHUNK = 1024 * 1024
_TOKEN_BYTES = 8  # 16 hex characters in front of every stored name
_STORED = re.compile(r"^[0-9a-f]{16}_(.+)$")
_STEM_MAX = 40
# The ratio is checked on parts that unpack to more than this; real sheets compress about 15:1.
_RATIO_MIN_BYTES = 1024 * 1024


def accept_attribute(kinds) -> str:
    """The file input's `accept` list for these kinds (a hint to the browser only)."""
    return ",".join(
        [k.content_type for k in kinds] + [f".{e}" for k in kinds for e in k.extensions]
    )


def extensions_label(kinds) -> str:
    return ", ".join(e for k in kinds for e in k.extensions)


# --- Names ---------------------------------------------------------------------------------------


def safe_name(name: str, *, default: str = "file") -> str:
    """A display name that is only a name: no folders, no control or shell characters, no
    leading dots, at most 100 characters; letters of any script (Chinese names) are kept."""
    base = re.split(r"[/\\]", str(name or ""))[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = re.sub(r"\s+", "_", base.strip())
    base = re.sub(r"[^\w.\-()]", "", base).lstrip(".")
    stem, ext = os.path.splitext(base)
    base = stem[:90] + ext[:10]
    return base or default


def _extension(name: str) -> str:
    return os.path.splitext(str(name or ""))[1].lower().lstrip(".")


def stored_name(directory: str, filename: str) -> str:
    """Where an upload is stored: ``<directory>/<random token>_<sanitized stem>.<extension>``.
    The token makes the name unguessable and unique; the stem keeps the original name for the
    download; the extension is the one the content was verified against."""
    extension = _extension(filename)
    if not any(extension in k.extensions for k in ALL_KINDS):
        extension = "bin"
    stem = os.path.splitext(safe_name(filename))[0][:_STEM_MAX] or "file"
    return f"{directory.strip('/')}/{secrets.token_hex(_TOKEN_BYTES)}_{stem}.{extension}"


def display_name(stored: str) -> str:
    """The name a stored file is downloaded under: the sanitized original, without the token."""
    base = os.path.basename(str(stored or ""))
    match = _STORED.match(base)
    return safe_name(match.group(1) if match else base)


def kind_for_name(name: str) -> Kind | None:
    extension = _extension(name)
    return next((k for k in ALL_KINDS if extension in k.extensions), None)


# --- Content -------------------------------------------------------------------------------------


def sniff(head: bytes) -> Kind | None:
    """The kind the first bytes announce; a zip is resolved by `zip_kind`, so None here."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    return None


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _member_name_unsafe(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        normalized.startswith("/")
        or re.match(r"^[A-Za-z]:", normalized) is not None
        or ".." in normalized.split("/")
        or "\x00" in normalized
    )


def _has_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(info) as member:
        while chunk := member.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                return True
            tail = window[-32:]
    return False


def zip_check(file, *, name: str) -> set[str]:
    """The zip guards; returns the member names. `file` is a seekable binary file."""
    bomb = _refused(
        _("“%(name)s” unpacks to far more data than a real document holds; it was refused.")
        % {"name": name},
        "zip_bomb",
    )
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if len(members) > settings.UPLOAD_ZIP_MAX_MEMBERS:
                raise bomb
            total = 0
            for info in members:
                if _member_name_unsafe(info.filename):
                    raise _refused(
                        _("“%(name)s” contains a file named “%(member)s”, which is not allowed.")
                        % {"name": name, "member": safe_name(info.filename)},
                        "zip_path",
                    )
                total += info.file_size
                # Small parts cannot hurt, however well they compress.
                ratio_matters = info.file_size > _RATIO_MIN_BYTES
                if ratio_matters and info.file_size > info.compress_size * (
                    settings.UPLOAD_ZIP_MAX_RATIO
                ):
                    raise bomb
            if total > settings.UPLOAD_ZIP_MAX_UNPACKED_BYTES:
                raise bomb
            # Every member, whatever its name (bounded by the size checks above).
            for info in members:
                if _has_dtd(archive, info):
                    raise _refused(
                        _(
                            "“%(name)s” contains XML with a document type declaration "
                            "(entities), which Office files never have; it was refused."
                        )
                        % {"name": name},
                        "xml_dtd",
                    )
            return {info.filename for info in members}
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, RuntimeError):
        # RuntimeError: an encrypted member. A broken or encrypted zip is not an Office file.
        raise _refused(
            _("“%(name)s” is damaged or not an Office file.") % {"name": name}, "zip_broken"
        ) from None
    finally:
        file.seek(0)


def zip_kind(members: set[str]) -> Kind | None:
    if "[Content_Types].xml" not in members:
        return None
    if "xl/workbook.xml" in members:
        return XLSX
    if "word/document.xml" in members:
        return DOCX
    return None


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(position)
    return size


def validate_upload(file, *, kinds, max_bytes: int | None = None, name: str | None = None) -> Kind:
    """Check an uploaded file against the kinds allowed here; returns the verified kind or raises
    ValidationError naming the file. `max_bytes` defaults to the UPLOAD_MAX_BYTES setting."""
    name = safe_name(name or getattr(file, "name", ""))
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    extension = _extension(name)
    allowed = [k for k in kinds if extension in k.extensions]
    if not allowed:
        raise _refused(
            _("“%(name)s” is not accepted here: upload a file of kind %(kinds)s.")
            % {"name": name, "kinds": extensions_label(kinds)},
            "extension",
        )
    size = _file_size(file)
    if size > limit:
        raise _refused(
            _("“%(name)s” is %(size)s; files here are at most %(max)s.")
            % {"name": name, "size": filesizeformat(size), "max": filesizeformat(limit)},
            "too_large",
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    kind = sniff(head)
    if kind is None and head.startswith(_ZIP_MAGIC):
        kind = zip_kind(zip_check(file, name=name))
    if kind is None or kind not in allowed:
        raise _refused(
            _("“%(name)s” is not really a %(kind)s file: its content is of another kind.")
            % {"name": name, "kind": allowed[0].label},
            "content",
        )
    return kind


def validate_scoring_evidence(file) -> None:
    validate_upload(file, kinds=SCORING_EVIDENCE_KINDS)


def validate_acceptance_evidence(file) -> None:
    validate_upload(file, kinds=ACCEPTANCE_EVIDENCE_KINDS)


def validate_attachment(file) -> None:
    validate_upload(file, kinds=ATTACHMENT_KINDS)


def validate_workbook(file, *, name: str | None = None) -> None:
    """An import workbook: a real xlsx within IMPORT_MAX_BYTES that passes the zip guards."""
    validate_upload(file, kinds=WORKBOOK_KINDS, max_bytes=settings.IMPORT_MAX_BYTES, name=name)
