import uvicorn

from dd_video.app import create_app
from dd_video.settings import VideoSettings

settings = VideoSettings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
