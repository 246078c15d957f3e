"""The closed catalogue of error types every app may answer with.

Each entry is the machine-readable ``type`` of an ``ErrorBody``, its HTTP status and a
default human sentence. Apps raise ``ErrorType.x`` (with a more specific sentence when they
have one); the dashboard and the ``dfd`` client map each type to advice. Adding an error
type = one entry here (and, for the dashboard, one line of advice in its message table).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorType(StrEnum):
    # The request itself
    bad_request = "bad_request"
    validation_error = "validation_error"
    empty_media = "empty_media"
    callbacks_disabled = "callbacks_disabled"
    callback_refused = "callback_refused"
    # Who is asking
    unauthorized = "unauthorized"
    forbidden = "forbidden"
    rate_limited = "rate_limited"
    # What is asked for
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    analysis_running = "analysis_running"
    not_finished = "not_finished"
    range_not_satisfiable = "range_not_satisfiable"
    # The media
    payload_too_large = "payload_too_large"
    decompression_bomb = "decompression_bomb"
    resolution_too_large = "resolution_too_large"
    resolution_too_small = "resolution_too_small"
    duration_too_long = "duration_too_long"
    too_many_frames = "too_many_frames"
    unsupported_media_type = "unsupported_media_type"
    corrupt_media = "corrupt_media"
    no_media_streams = "no_media_streams"
    no_video_stream = "no_video_stream"
    parse_limit_exceeded = "parse_limit_exceeded"
    # The platform
    queue_full = "queue_full"
    busy = "busy"
    not_ready = "not_ready"
    unavailable = "unavailable"
    upstream_error = "upstream_error"
    fusion_unavailable = "fusion_unavailable"
    fusion_failed = "fusion_failed"
    interrupted = "interrupted"
    duplicate_modality = "duplicate_modality"
    internal_error = "internal_error"


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    sentence: str


CATALOGUE: dict[ErrorType, ErrorSpec] = {
    ErrorType.bad_request: ErrorSpec(400, "The request is malformed."),
    ErrorType.validation_error: ErrorSpec(422, "The request is invalid."),
    ErrorType.empty_media: ErrorSpec(400, "The file is empty."),
    ErrorType.callbacks_disabled: ErrorSpec(
        400, "Callbacks are not enabled on this gateway (no callback secret is set)."
    ),
    ErrorType.callback_refused: ErrorSpec(
        400, "The callback address is not allowed (loopback, private or internal address)."
    ),
    ErrorType.unauthorized: ErrorSpec(401, "A valid API key is required."),
    ErrorType.forbidden: ErrorSpec(403, "This API key may not do that."),
    ErrorType.rate_limited: ErrorSpec(429, "Too many requests; wait and try again."),
    ErrorType.not_found: ErrorSpec(404, "Not found."),
    ErrorType.method_not_allowed: ErrorSpec(405, "That method is not allowed here."),
    ErrorType.analysis_running: ErrorSpec(
        409, "The analysis is running; try again once it has finished."
    ),
    ErrorType.not_finished: ErrorSpec(409, "The analysis has not finished yet."),
    ErrorType.range_not_satisfiable: ErrorSpec(416, "The requested byte range is not in the file."),
    ErrorType.payload_too_large: ErrorSpec(413, "The file is larger than this server accepts."),
    ErrorType.decompression_bomb: ErrorSpec(
        413, "The image declares more pixels than this server decodes."
    ),
    ErrorType.resolution_too_large: ErrorSpec(413, "The picture size is above the limit."),
    ErrorType.resolution_too_small: ErrorSpec(422, "The picture is too small to analyse."),
    ErrorType.duration_too_long: ErrorSpec(413, "The recording is longer than the limit."),
    ErrorType.too_many_frames: ErrorSpec(
        413, "The file declares more frames, samples or packets than this server reads."
    ),
    ErrorType.unsupported_media_type: ErrorSpec(
        415, "The file is not an image, audio or video format this server reads."
    ),
    ErrorType.corrupt_media: ErrorSpec(422, "The file is damaged or truncated and cannot be read."),
    ErrorType.no_media_streams: ErrorSpec(422, "The file holds no audio or video stream."),
    ErrorType.no_video_stream: ErrorSpec(422, "The file holds no video stream."),
    ErrorType.parse_limit_exceeded: ErrorSpec(
        422, "Reading the file took more memory or time than allowed; it was refused."
    ),
    ErrorType.queue_full: ErrorSpec(503, "The server is busy; try again shortly."),
    ErrorType.busy: ErrorSpec(503, "The service is busy; try again shortly."),
    ErrorType.not_ready: ErrorSpec(503, "The service is not ready yet."),
    ErrorType.unavailable: ErrorSpec(503, "The service is unavailable."),
    ErrorType.upstream_error: ErrorSpec(502, "A backend service answered with an error."),
    ErrorType.fusion_unavailable: ErrorSpec(503, "The fusion service could not be reached."),
    ErrorType.fusion_failed: ErrorSpec(502, "The fusion service failed."),
    ErrorType.interrupted: ErrorSpec(
        503, "The analysis was interrupted by a restart; submit it again."
    ),
    ErrorType.duplicate_modality: ErrorSpec(422, "A modality was sent twice."),
    ErrorType.internal_error: ErrorSpec(500, "An unexpected error occurred."),
}

# Types that older releases used for the same condition; kept so stored documents and
# clients still map them.
ALIASES: dict[str, ErrorType] = {
    "media_too_large": ErrorType.payload_too_large,
    "file_too_large": ErrorType.payload_too_large,
}


def spec(type_: ErrorType | str) -> ErrorSpec:
    """Status and default sentence of a type (aliases resolved; unknown → internal)."""
    key = ALIASES.get(str(type_)) or (
        ErrorType(type_) if type_ in ErrorType._value2member_map_ else ErrorType.internal_error
    )
    return CATALOGUE[key]


def status_of(type_: ErrorType | str) -> int:
    return spec(type_).status
