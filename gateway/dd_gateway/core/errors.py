"""The gateway's errors, named by the shared catalogue (dd_contracts.catalogue)."""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType, spec
from dd_service_kit import AppError


class GatewayError(AppError):
    """Every error the gateway raises itself: a catalogue type, its status, a sentence."""

    @classmethod
    def of(
        cls,
        type_: ErrorType,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GatewayError:
        entry = spec(type_)
        return cls(
            detail or entry.sentence,
            type=type_.value,
            status_code=entry.status,
            headers=headers,
        )


def not_found(detail: str = "No analysis with that id.") -> GatewayError:
    return GatewayError.of(ErrorType.not_found, detail)
