"""Serving a stored file (evidence, attachments) to a user the calling view has already checked:
never from a public media URL, always as a download under its sanitized original name, typed by
its content (never as HTML), and never sniffed into something else."""

from django.http import FileResponse, Http404

from .uploads import display_name, kind_for_name, sniff

OCTET_STREAM = "application/octet-stream"


def _content_type(name: str, head: bytes) -> str:
    """The type the content proves: a picture or PDF by its first bytes; an Office file by its
    (verified-at-upload) extension when the bytes are a zip; anything else a plain download."""
    kind = sniff(head)
    if kind is not None:
        return kind.content_type
    by_name = kind_for_name(name)
    if head.startswith(b"PK\x03\x04") and by_name is not None and by_name.name in ("xlsx", "docx"):
        return by_name.content_type
    return OCTET_STREAM


def stored_file_response(field_file) -> FileResponse:
    """The file of a FileField as an attachment; 404 when there is none or it is gone."""
    if not field_file:
        raise Http404
    try:
        file = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    head = file.read(16)
    file.seek(0)
    response = FileResponse(
        file,
        as_attachment=True,
        filename=display_name(field_file.name),
        content_type=_content_type(field_file.name, head),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A stored file is never a page: no script, no frame, no plugin even if a browser renders it.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
