"""Domain errors raised by media pipelines. Services map them to HTTP answers; the
pipelines themselves never import FastAPI."""


class MediaRejected(Exception):
    """The input cannot be analysed: the user's file is at fault, not the server.

    ``type`` is machine-readable (e.g. 'corrupt_media', 'decompression_bomb'),
    ``detail`` one human sentence, ``status_code`` the HTTP status a service should use
    (400 empty, 413 over a size/pixel/duration limit, 415 wrong type, 422 undecodable).
    """

    def __init__(self, type: str, detail: str, status_code: int = 422) -> None:
        super().__init__(detail)
        self.type = type
        self.detail = detail
        self.status_code = status_code
