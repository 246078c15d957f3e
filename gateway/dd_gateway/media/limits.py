"""The gateway refuses at upload what a service would refuse later, with the same error
type: the one limits table (dd_contracts.limits, DD_LIMIT_*) is read by both."""

from __future__ import annotations

from dd_contracts.catalogue import ErrorType
from dd_contracts.limits import MediaLimits
from dd_gateway.core.errors import GatewayError
from dd_gateway.media.sniff import Sniffed
from dd_gateway.media.store import too_large


def check_limits(sniffed: Sniffed, size_bytes: int, limits: MediaLimits) -> None:
    kind = sniffed.kind.value
    if size_bytes > limits.max_bytes(kind):
        raise too_large(limits.max_bytes(kind), f"{kind} file")
    width, height = sniffed.width, sniffed.height
    if kind == "image" and width and height and width * height > limits.max_image_pixels:
        raise GatewayError.of(
            ErrorType.decompression_bomb,
            f"The image is too large to decode safely ({width}x{height}); the limit is "
            f"{limits.max_image_pixels / 1e6:.0f} megapixels.",
        )
    if kind == "video" and width and height and width * height > limits.max_video_pixels:
        raise GatewayError.of(
            ErrorType.resolution_too_large,
            f"{width}x{height} is over the limit of {limits.max_video_pixels} pixels per frame.",
        )
    duration = sniffed.duration_s
    if kind in ("audio", "video") and duration is not None and duration > limits.max_duration_s:
        raise GatewayError.of(
            ErrorType.duration_too_long,
            f"The recording lasts {duration:.0f} s; the limit is {limits.max_duration_s:.0f} s.",
        )
