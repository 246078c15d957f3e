"""DeepfakeDetective client: `Client` / `AsyncClient` for Python, `dfd` for the shell.

    from dfd import Client
    analysis = Client("http://127.0.0.1:8000").analyze("clip.mp4")
    print(analysis.verdict.label if analysis.verdict else analysis.status)

Results are the pydantic contracts the services use (`dd_contracts.Analysis`, ...).
"""

from dfd.async_client import AsyncClient
from dfd.client import Client
from dfd.errors import ApiError, ConnectionFailed, DfdError, UnexpectedAnswer
from dfd.outcome import ExitCode, exit_code

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AsyncClient",
    "Client",
    "ConnectionFailed",
    "DfdError",
    "ExitCode",
    "UnexpectedAnswer",
    "__version__",
    "exit_code",
]
