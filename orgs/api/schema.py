"""The API's schema class: drf-spectacular's AutoSchema, plus the error answers every operation may
give, so that the published schema lists every status code the API really returns (the API fuzz
test, tests/security/test_api_fuzz.py, checks that it does).

- 400 on every write and on every read that takes query parameters: a field error or a refused
  change, as DRF's validation errors (`{"field": ["message"]}`, `["message"]` or `{"detail": …}`);
- 415 on every write whose body is not in a media type the operation accepts (or is a malformed
  multipart body): `{"detail": "message"}`;
- 401 without credentials, 403 for a role that may not do this, 404 for an object outside the
  caller's scope (or a page number past the end of a list): `{"detail": "message"}`.

An operation's own `extend_schema(responses=…)` for one of these codes is kept as it is.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse

ERROR = {
    "type": "object",
    "description": "An error: why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "description": (
        "Validation errors: messages per field (`non_field_errors` for the whole request), a list "
        "of messages, or `detail`."
    ),
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "array", "items": {}},
                    {"type": "string"},
                    {"type": "object"},
                ]
            },
        },
        {"type": "array", "items": {"type": "string"}},
    ],
}


class AutoSchema(SpectacularAutoSchema):
    def _error_ref(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        takes_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        errors = {
            "401": "Not authenticated.",
            "403": "The caller's role may not do this.",
            "404": "Not found, or outside the caller's scope.",
        }
        if self.method != "GET" or takes_query:
            errors["400"] = "Invalid input."
        if self.method != "GET":
            errors["415"] = "The request body's media type is not accepted, or is malformed."
        for code in sorted(errors):
            if code in responses:
                continue
            schema = (
                self._error_ref("ValidationError", VALIDATION_ERROR)
                if code == "400"
                else self._error_ref("Error", ERROR)
            )
            responses[code] = self._get_response_for_code(
                OpenApiResponse(response=schema, description=errors[code]), code
            )
        return operation
