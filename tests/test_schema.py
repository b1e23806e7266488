"""The OpenAPI schema: generated without a single drf-spectacular warning, valid, served only to
users with a role, and its docs page works offline (Swagger UI from our own static files)."""

import re

import pytest
import yaml
from django.core.management import call_command

API_PATHS = {
    "/api/v1/me/",
    "/api/v1/groups/",
    "/api/v1/groups/{id}/",
    "/api/v1/institutions/",
    "/api/v1/institutions/{code}/",
    "/api/v1/institutions/{institution_code}/employees/",
    "/api/v1/institutions/{institution_code}/contacts/",
    "/api/v1/institutions/{institution_code}/contacts/{id}/end/",
    # 数据填报 (docs/REPORTING.md)
    "/api/v1/reporting/reports/",
    "/api/v1/reporting/reports/{id}/",
    "/api/v1/reporting/reports/{id}/submit/",
    "/api/v1/reporting/reports/{id}/approve/",
    "/api/v1/reporting/reports/{id}/return/",
    "/api/v1/reporting/reports/{id}/import/",
    "/api/v1/reporting/items/{id}/",
    "/api/v1/reporting/items/{id}/save/",
    "/api/v1/reporting/items/{id}/evidence/",
    "/api/v1/reporting/items/{id}/first-review/",
    "/api/v1/reporting/items/{id}/second-review/",
    "/api/v1/employees/",
    "/api/v1/employees/{id}/",
    "/api/v1/audit/",
    "/api/v1/audit/{id}/",
    "/api/v1/notifications/",
    "/api/v1/notifications/{id}/",
    "/api/v1/notifications/{id}/read/",
    "/api/v1/notifications/read-all/",
    "/api/v1/schemes/",
    "/api/v1/schemes/{year}/",
    "/api/v1/schemes/{year}/transition/",
    "/api/v1/schemes/{year}/check/",
    "/api/v1/schemes/{year}/recompute/",
    "/api/v1/indicators/",
    "/api/v1/indicators/{id}/",
    "/api/v1/targets/",
    "/api/v1/targets/{id}/",
    "/api/v1/entries/",
    "/api/v1/entries/{id}/",
    "/api/v1/entries/{id}/reverse/",
    "/api/v1/entries/{id}/decide/",
    "/api/v1/results/",
    "/api/v1/appeals/",
    "/api/v1/appeals/{id}/",
    "/api/v1/appeals/{id}/answer/",
    "/api/v1/pay-policies/",
    "/api/v1/pay-policies/{id}/",
    "/api/v1/payroll-runs/",
    "/api/v1/payroll-runs/{id}/",
    "/api/v1/payroll-runs/{id}/confirm/",
    "/api/v1/payroll-runs/compute/",
    "/api/v1/payroll-lines/",
    "/api/v1/letters/",
    "/api/v1/letters/{id}/",
    "/api/v1/letters/{id}/verify/",
    "/api/v1/letters/{id}/sign/",
    "/api/v1/letters/{id}/countersign/",
    "/api/v1/letters/issue/",
    "/api/v1/standards/",
    "/api/v1/batches/",
    "/api/v1/batches/{id}/",
    "/api/v1/inspections/",
    "/api/v1/inspections/{id}/",
    "/api/v1/inspections/{id}/ticks/",
    "/api/v1/inspections/{id}/decide/",
    "/api/v1/reports/",
    "/api/v1/reports/{id}/",
    "/api/v1/bulletins/",
    "/api/v1/bulletins/{id}/",
    "/api/v1/bulletins/{id}/publish/",
    "/api/v1/bulletins/generate/",
    "/api/v1/explanations/",
    "/api/v1/explanations/{id}/",
    "/api/v1/explanations/{id}/submit/",
    "/api/v1/explanations/{id}/review/",
    "/api/v1/dashboard/{year}/",
    "/api/v1/dashboard/{year}/institutions/{code}/",
}


@pytest.mark.django_db
def test_schema_generates_without_warnings_and_validates(tmp_path):
    path = tmp_path / "schema.yaml"
    # --fail-on-warn raises if spectacular reported any warning or error while generating.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    assert set(schema["paths"]) == API_PATHS
    # No DELETE anywhere: groups and institutions are not deleted through the API.
    assert not any("delete" in ops for ops in schema["paths"].values())
    # Money is a decimal string, never a float.
    wage = schema["components"]["schemas"]["Employee"]["properties"]["post_wage"]
    assert wage["type"] == "string"
    assert wage["format"] == "decimal"


def test_schema_served_to_hr(client_for):
    response = client_for("hr").get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "/api/v1/institutions/" in schema["paths"]


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_refused_without_role(client_for, url):
    assert client_for("anonymous").get(url).status_code in (401, 403)
    assert client_for("norole").get(url).status_code == 403


def test_docs_use_local_static_only(client_for):
    response = client_for("hr").get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), asset
        # Swagger UI's start-up script comes from the docs view itself (no inline script: CSP).
        assert asset.startswith("/static/") or asset == "/api/docs/?script=", asset
    assert not re.search(r'src="(https?:)?//', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    script = client_for("hr").get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
