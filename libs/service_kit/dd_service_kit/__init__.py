"""FastAPI plumbing every DeepfakeDetective app shares. No model code here."""

from dd_service_kit.app import base_app
from dd_service_kit.errors import AppError, error_responses
from dd_service_kit.logging import configure_logging
from dd_service_kit.request_id import current_request_id
from dd_service_kit.settings import AppSettings

__all__ = [
    "AppError",
    "AppSettings",
    "base_app",
    "configure_logging",
    "current_request_id",
    "error_responses",
]
