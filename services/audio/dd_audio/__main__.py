import uvicorn

from dd_audio.app import create_app
from dd_audio.settings import AudioSettings

settings = AudioSettings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
