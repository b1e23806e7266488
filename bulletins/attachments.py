"""What an explanation (情况说明) may carry as an attachment: a scanned document, a picture of
one, or a workbook of figures — the kinds of acceptance evidence (validate_evidence in
acceptance.forms) plus xlsx. Anything else is refused, and the first bytes must be of the kind the
name says (a renamed script is not a PDF). The form, the API serializer and the service apply it."""

import os

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from acceptance.forms import EVIDENCE_ACCEPT, EVIDENCE_MAX_BYTES, EVIDENCE_SIGNATURES

ATTACHMENT_MAX_BYTES = EVIDENCE_MAX_BYTES
# An xlsx file is a zip archive.
ATTACHMENT_SIGNATURES = {**EVIDENCE_SIGNATURES, "xlsx": (b"PK\x03\x04",)}
ATTACHMENT_ACCEPT = (
    EVIDENCE_ACCEPT + ",application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,.xlsx"
)


def validate_attachment(file) -> None:
    extension = os.path.splitext(file.name)[1].lower().lstrip(".")
    if extension not in ATTACHMENT_SIGNATURES:
        raise ValidationError(
            _(
                "An attachment is a PDF, a picture or an Excel workbook (%(kinds)s); "
                "“%(name)s” is not."
            )
            % {"kinds": ", ".join(ATTACHMENT_SIGNATURES), "name": file.name}
        )
    if file.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("Attachments are at most %(max)s; this one is %(size)s.")
            % {"max": filesizeformat(ATTACHMENT_MAX_BYTES), "size": filesizeformat(file.size)}
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    kind_ok = head.startswith(ATTACHMENT_SIGNATURES[extension])
    if extension == "webp":
        kind_ok = kind_ok and head[8:12] == b"WEBP"
    if not kind_ok:
        raise ValidationError(
            _("“%(name)s” is not the kind of file its name says.") % {"name": file.name}
        )
