"""Property-based calls generated from the gateway's own OpenAPI (Schemathesis): no
5xx, and every response matches the status codes, media types and schemas it declares."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from dd_contracts import Modality
from dd_fusion.app import create_app as create_fusion
from dd_fusion.settings import FusionSettings
from dd_gateway.app import create_app as create_gateway
from dd_gateway.core.container import container_of
from dd_gateway.core.settings import GatewaySettings
from dd_service_kit.testing import HostRouter
from tests.fakes import FakeAnalyzer
from tests.gateway.conftest import FUSION_URL, URLS, fake_service

_DATA = Path(tempfile.mkdtemp(prefix="dd-gateway-schemathesis-"))
_APPS = {FUSION_URL: create_fusion(FusionSettings(json_logs=False))}
_APPS[URLS[Modality.image]] = fake_service(FakeAnalyzer(Modality.image, 0.8))
_GATEWAY = create_gateway(
    GatewaySettings(
        json_logs=False,
        log_level="WARNING",
        data_dir=_DATA,
        image_url=URLS[Modality.image],
        audio_url=None,
        video_url=None,
        fusion_url=FUSION_URL,
        max_upload_bytes=1024 * 1024,
        wait_timeout_s=0.2,
        max_queued_jobs=8,
        # With keys on, Schemathesis also checks that bad credentials are refused.
        require_keys=True,
        rate_limit_per_minute=1_000_000,
        rate_limit_burst=1_000_000,
    ),
    transport=HostRouter(_APPS),
)
_, _TOKEN = container_of(_GATEWAY).keys.create("schemathesis")
# With keys required, the OpenAPI document itself needs a key.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _GATEWAY, headers={"Authorization": f"Bearer {_TOKEN}"}
)


# What the issue asks: no 5xx, nothing outside the declared codes, media types, headers
# and schemas, and no route that takes a bad key. (Not "positive data acceptance": a
# schema-valid upload of random bytes is rightly refused with 415.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.ignored_auth,
]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_gateway_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {_TOKEN}"}, checks=CHECKS)
