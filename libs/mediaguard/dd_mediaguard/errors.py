"""Typed refusals: every check raises ``dd_inference.MediaRejected`` with a catalogue type
and the catalogue's status, so the HTTP answer is the same wherever the check ran."""

from __future__ import annotations

import re

from dd_contracts.catalogue import ErrorType, status_of
from dd_inference import MediaRejected


def rejected(type_: ErrorType, detail: str) -> MediaRejected:
    return MediaRejected(type_.value, detail, status_of(type_))


# An absolute path, quoted or not (FFmpeg and Pillow messages name the file they read).
_PATH = re.compile(r"""['"]?/[^\s'"]+['"]?""")


def reason(exc: BaseException) -> str:
    """A parser's error message fit for a user: the C library's reason without the
    service's temp-file path (an error detail must not show internal paths)."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _PATH.sub("the file", str(text)).strip()
