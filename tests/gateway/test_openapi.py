"""The gateway's OpenAPI is what the dashboard's client is generated from: operation ids
stay stable and every response is typed."""

from pathlib import Path

from dd_gateway.app import create_app
from dd_gateway.core.settings import GatewaySettings

STABLE_OPERATIONS = {
    ("post", "/v1/analyses"): "createAnalysis",
    ("get", "/v1/analyses"): "listAnalyses",
    ("get", "/v1/analyses/{analysis_id}"): "getAnalysis",
    ("delete", "/v1/analyses/{analysis_id}"): "deleteAnalysis",
    ("get", "/v1/analyses/{analysis_id}/events"): "streamAnalysisEvents",
    ("get", "/v1/analyses/{analysis_id}/report"): "getAnalysisReport",
    ("get", "/v1/analyses/{analysis_id}/artifacts/{name}"): "getAnalysisArtifact",
    ("get", "/v1/analyses/{analysis_id}/media"): "getAnalysisMedia",
    ("get", "/v1/services"): "listServices",
    ("get", "/v1/model"): "getModels",
    ("get", "/healthz"): "healthz",
    ("get", "/readyz"): "readyz",
}
# Responses whose body is not JSON, and the media type that carries their schema.
NON_JSON = {
    ("get", "/v1/analyses/{analysis_id}/events", "200"): "text/event-stream",
    ("get", "/v1/analyses/{analysis_id}/artifacts/{name}", "200"): "image/png",
    ("get", "/v1/analyses/{analysis_id}/media", "200"): "application/octet-stream",
    ("get", "/v1/analyses/{analysis_id}/media", "206"): "application/octet-stream",
}
# Answers without a body.
NO_BODY = {"204", "304"}


def test_operation_ids_are_stable_and_responses_typed(tmp_path: Path) -> None:
    spec = create_app(GatewaySettings(json_logs=False, data_dir=tmp_path)).openapi()
    seen = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            seen[(method, path)] = operation["operationId"]
            for status, response in operation["responses"].items():
                if status in NO_BODY:
                    assert "content" not in response, (method, path)
                    continue
                media_type = NON_JSON.get((method, path, status), "application/json")
                content = response.get("content", {}).get(media_type)
                assert content and content.get("schema"), (method, path, status)
    assert seen == STABLE_OPERATIONS
    create = spec["paths"]["/v1/analyses"]["post"]
    responses = create["responses"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Analysis")
    for status in ("401", "413", "429", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorBody"), status
    upload = create["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["required"] == ["file"]
    report = spec["paths"]["/v1/analyses/{analysis_id}/report"]["get"]["responses"]["200"]
    assert {"application/json", "text/html", "application/pdf"} <= set(report["content"])
    listed = spec["paths"]["/v1/analyses"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["$ref"].endswith("/AnalysisPage")
    assert "AnalysisEvent" in spec["components"]["schemas"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
