from dd_service_kit import AppError


class GatewayError(AppError):
    """Base of every error the gateway raises itself."""
