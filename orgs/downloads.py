"""Serving a stored file (evidence, attachments) to a user the calling view has already checked:
never from a public media URL, always as a download, never sniffed into something else."""

import os

from django.http import FileResponse, Http404


def stored_file_response(field_file) -> FileResponse:
    """The file of a FileField as an attachment; 404 when there is none or it is gone."""
    if not field_file:
        raise Http404
    try:
        file = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(file, as_attachment=True, filename=os.path.basename(field_file.name))
    response["X-Content-Type-Options"] = "nosniff"
    return response
