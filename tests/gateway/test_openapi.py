"""The gateway's OpenAPI is what the dashboard's client is generated from: operation ids
stay stable and every response is typed."""

from pathlib import Path

from dd_gateway.app import create_app
from dd_gateway.settings import GatewaySettings

STABLE_OPERATIONS = {
    ("post", "/v1/analyses"): "createAnalysis",
    ("get", "/v1/analyses"): "listAnalyses",
    ("get", "/v1/analyses/{analysis_id}"): "getAnalysis",
    ("get", "/v1/services"): "listServices",
    ("get", "/v1/model"): "getModels",
    ("get", "/healthz"): "healthz",
    ("get", "/readyz"): "readyz",
}


def test_operation_ids_are_stable_and_responses_typed(tmp_path: Path) -> None:
    spec = create_app(GatewaySettings(json_logs=False, data_dir=tmp_path)).openapi()
    seen = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            seen[(method, path)] = operation["operationId"]
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                assert content and content.get("schema"), (method, path, status)
    assert seen == STABLE_OPERATIONS
    create = spec["paths"]["/v1/analyses"]["post"]["responses"]
    assert create["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Analysis")
    assert create["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
