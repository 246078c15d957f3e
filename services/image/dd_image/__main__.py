import uvicorn

from dd_image.app import create_app
from dd_image.settings import ImageSettings

settings = ImageSettings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
