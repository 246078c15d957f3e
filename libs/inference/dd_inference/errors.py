"""Domain errors raised by media pipelines. Services map them to HTTP answers; the
pipelines themselves never import FastAPI."""

from __future__ import annotations

from dd_contracts.catalogue import ALIASES, ErrorType, status_of


def catalogue_type(type_: ErrorType | str) -> ErrorType:
    """``type_`` as a catalogue member (old aliases such as 'media_too_large' resolved).

    Raises ValueError for anything else: an error type outside the catalogue is a bug in
    the code raising it, and the dashboard could not explain it to a user."""
    if isinstance(type_, ErrorType):
        return type_
    if type_ in ALIASES:
        return ALIASES[type_]
    try:
        return ErrorType(type_)
    except ValueError:
        raise ValueError(f"error type {type_!r} is not in dd_contracts.catalogue") from None


class MediaRejected(Exception):
    """The input cannot be analysed: the user's file is at fault, not the server.

    ``type`` is a member of ``dd_contracts.catalogue.ErrorType`` (e.g. corrupt_media,
    decompression_bomb), ``detail`` one human sentence. The HTTP status always comes from
    the catalogue, so one condition answers with one status everywhere; the optional
    ``status_code`` argument is accepted for older callers and ignored.
    """

    def __init__(self, type: ErrorType | str, detail: str, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.type: ErrorType = catalogue_type(type)
        self.detail = detail
        self.status_code = status_of(self.type)
