import uvicorn

from dd_fusion.app import create_app
from dd_fusion.settings import FusionSettings

settings = FusionSettings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
