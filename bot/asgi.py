"""ASGI entry for `nongbot serve` (uvicorn imports it in each worker process): settings from the environment."""
import gc

from bot.app import create_app
from bot.settings import Settings

app = create_app(Settings())
# The knowledge pack, NLU tables and ORM mappings (~330k objects) live as long as the process: kept out
# of the cyclic collector, whose full passes over them stop every callback for ~80 ms (the p99's tail).
gc.collect()
gc.freeze()
