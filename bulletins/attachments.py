"""What an explanation (情况说明) may carry as an attachment: a scanned document, a picture of
one, or a workbook of figures — the kinds of acceptance evidence plus xlsx, checked by content
(orgs.uploads: a renamed script is not a PDF, a zip bomb is not a workbook). The form, the API
serializer and the service apply it."""

from orgs import uploads

ATTACHMENT_KINDS = uploads.ATTACHMENT_KINDS
ATTACHMENT_ACCEPT = uploads.accept_attribute(ATTACHMENT_KINDS)
validate_attachment = uploads.validate_attachment
