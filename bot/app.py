"""App factory: builds the deployment's context and the FastAPI app (webhook, NLU API, health, simulator, admin)."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.context import AppContext, Responder
from bot.db import make_engine, ping, session_factory
from bot.gateway import Gateway
from bot.replies import ReplyTemplates
from bot.settings import Settings
from bot.store import make_store
from bot.wechat import RequestRejected, WechatProtocol



def build_context(settings: Settings) -> AppContext:
    """Everything a worker process needs, built once from the settings."""
    from intents import Understanding
    from knowledge import load_pack

    engine = make_engine(settings.database_url)
    store = make_store(settings, engine)
    pack = load_pack(settings.knowledge)
    ctx = AppContext(settings=settings, engine=engine, sessions=session_factory(engine), store=store,
                     pack=pack, nlu=Understanding.from_pack(pack), templates=ReplyTemplates(pack.path))
    from bot.wechat_api import make_wechat_api

    ctx.wechat_api = make_wechat_api(settings, store)
    from bot.centers import sync_centers_once

    sync_centers_once(ctx.sessions, store, pack)
    return ctx


def default_responder(ctx: AppContext) -> Responder:
    from bot.dialog import DialogResponder

    return DialogResponder(ctx)


class ParseRequest(BaseModel):
    text: str = Field(max_length=2000)


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None,
               responder: Responder | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or build_context(settings)
    gateway = Gateway(ctx, responder or default_responder(ctx))
    protocol = WechatProtocol(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                              max_skew_seconds=settings.max_timestamp_skew_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        stopper = None
        if settings.deliver_in_process:
            from bot.outbox import start_in_process

            stopper = start_in_process(ctx)
        try:
            yield
        finally:
            await gateway.drain()
            gateway.close()
            if stopper is not None:
                stopper()

    app = FastAPI(title="农合联助手", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.gateway = gateway

    @app.get("/wechat")
    def wechat_verify(request: Request) -> Response:
        try:
            return PlainTextResponse(protocol.verify_url(dict(request.query_params)))
        except RequestRejected as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)

    async def wechat_callback(request: Request) -> Response:
        try:
            body = await read_capped(request, settings.max_body_bytes)
            callback = protocol.open(dict(request.query_params), body)
        except RequestRejected as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        text = await gateway.answer(callback.inbound)
        if not text:
            return PlainTextResponse("success")
        return Response(protocol.text_reply(callback, text), media_type="application/xml")

    # A plain Starlette route: the hot path skips FastAPI's per-request dependency solving.
    app.add_route("/wechat", wechat_callback, methods=["POST"])

    @app.post("/api/nlu/parse")
    def nlu_parse(body: ParseRequest) -> dict[str, Any]:
        return ctx.nlu.parse(body.text, today=ctx.today()).to_dict()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        database = await run_in_threadpool(ping, ctx.engine)
        store = await run_in_threadpool(_store_ok, ctx)
        ok = database and store
        return JSONResponse({"status": "ready" if ok else "not ready", "database": database, "store": store},
                            status_code=200 if ok else 503)

    from bot.simulator import mount as mount_simulator

    mount_simulator(app, ctx)
    from admin.web import mount as mount_admin

    mount_admin(app, ctx)
    return app


def _store_ok(ctx: AppContext) -> bool:
    try:
        return ctx.store.ping()
    except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
        return False


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (Content-Length or chunked)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise RequestRejected(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRejected(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)
