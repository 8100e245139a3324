"""ASGI entry for `nongbot serve` (uvicorn imports it in each worker process): settings from the environment."""
from bot.app import create_app
from bot.settings import Settings

app = create_app(Settings())
