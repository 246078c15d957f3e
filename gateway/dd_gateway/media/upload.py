"""multipart/form-data parsed straight from the request stream: the file part goes to
disk chunk by chunk (never a SpooledTemporaryFile, never the whole body in memory), and
the upload is refused with 413 the moment it passes the limit.

Parsing, hashing and writing each chunk run in a worker thread, never on the event loop;
a body that ends before its closing boundary is refused (400), and a client that goes
away mid-upload is a client's error, not a server one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect

from dd_contracts.catalogue import ErrorType
from dd_gateway.core.errors import GatewayError
from dd_gateway.media.store import IncomingMedia, MediaStore, StoredUpload, too_large

log = logging.getLogger(__name__)

FILE_FIELD = b"file"
# Multipart framing and any small extra fields on top of the file itself.
MULTIPART_SLACK = 64 * 1024
# Bytes handed to the parsing thread at once (parsed, hashed and written there).
PARSE_BATCH_BYTES = 256 * 1024


@dataclass
class Upload:
    stored: StoredUpload
    filename: str | None


class _FilePart:
    """Parser callbacks: route the bytes of the part named `file` into `incoming`."""

    def __init__(self, incoming: IncomingMedia) -> None:
        self.incoming = incoming
        self.header_field = b""
        self.header_value = b""
        self.disposition = b""
        self.in_file = False
        self.seen_file = False
        self.filename: str | None = None

    def on_part_begin(self) -> None:
        self.disposition = b""
        self.in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_field.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_field = b""
        self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if options.get(b"name") == FILE_FIELD and not self.seen_file:
            self.in_file = self.seen_file = True
            raw_name = options.get(b"filename")
            self.filename = raw_name.decode("utf-8", "replace")[:255] if raw_name else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.incoming.write(memoryview(data)[start:end])

    def on_part_end(self) -> None:
        self.in_file = False


def _bad_request(detail: str) -> GatewayError:
    return GatewayError.of(ErrorType.validation_error, detail)


class ClientGone(GatewayError):
    """The client closed the connection mid-upload: nobody is left to answer."""


async def receive_upload(request: Request, media: MediaStore, max_bytes: int) -> Upload:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _bad_request("Send the file as multipart/form-data in a field named 'file'.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MULTIPART_SLACK:
        raise too_large(max_bytes)
    incoming = media.begin(max_bytes)
    part = _FilePart(incoming)
    parser = MultipartParser(boundary, _callbacks(part))  # type: ignore[arg-type]
    received = 0
    pending: list[bytes] = []
    pending_bytes = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes + MULTIPART_SLACK:
                raise too_large(max_bytes)
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= PARSE_BATCH_BYTES:
                # One hop to the worker thread per batch, not per network read.
                await asyncio.to_thread(parser.write, b"".join(pending))
                pending, pending_bytes = [], 0
        if pending:
            await asyncio.to_thread(parser.write, b"".join(pending))
        parser.finalize()
        if not part.seen_file:
            raise _bad_request("The form has no field named 'file'.")
        if parser.state != MultipartState.END:
            raise GatewayError.of(
                ErrorType.bad_request,
                "The multipart body ends before its closing boundary; the upload is incomplete.",
            )
        return Upload(await asyncio.to_thread(incoming.commit), part.filename)
    except MultipartParseError as exc:
        raise _bad_request("The multipart body is malformed.") from exc
    except ClientDisconnect as exc:
        log.info("client disconnected mid-upload", extra={"received_bytes": received})
        raise ClientGone(
            "The client disconnected before the upload was complete.",
            type=ErrorType.bad_request.value,
            status_code=400,
        ) from exc
    finally:
        incoming.discard()


def _callbacks(part: _FilePart) -> dict[str, object]:
    names = (
        "on_part_begin",
        "on_header_field",
        "on_header_value",
        "on_header_end",
        "on_headers_finished",
        "on_part_data",
        "on_part_end",
    )
    return {name: getattr(part, name) for name in names}
