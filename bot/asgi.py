"""ASGI entry for `nongbot serve` (uvicorn imports it in each worker process): settings from the environment."""
import gc

from bot.app import create_app
from bot.logs import configure
from bot.settings import Settings

settings = Settings()
configure(settings.log_format)  # masked, one line per message; JSON with NONGBOT_LOG_FORMAT=json
app = create_app(settings)
# The knowledge pack, NLU tables and ORM mappings (~330k objects) live as long as the process: kept out
# of the cyclic collector, whose full passes over them stop every callback for ~80 ms (the p99's tail).
gc.collect()
gc.freeze()
