"""The OpenAPI schema: generated without a warning, served, documented, with error shapes everywhere."""

import pytest
import yaml
from django.core.management import call_command


def test_spectacular_fail_on_warn(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert set(schema["paths"]) >= {
        "/api/v1/orders/",
        "/api/v1/staff/orders/{id}/accept/",
        "/api/v1/auth/tokens/",
    }
    # Every operation documents its error answers with the one error shape.
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), (method, path)
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_a_cdn(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/static/vendor/swagger-ui-dist-" in docs.content
    assert b"cdn.jsdelivr" not in docs.content
