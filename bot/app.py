"""App factory: builds the deployment's context and the FastAPI app (webhook, NLU API, health, simulator, admin)."""
from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from bot.context import AppContext, Responder
from bot.store.db import make_engine, ping, session_factory
from bot.wechat.edge import BodyTooLarge, CleanStr, EdgeGuard, read_body, safe_errors
from bot.wechat.gateway import Gateway
from handlers.replies import ReplyTemplates
from bot.settings import Settings
from bot.store import make_store
from bot.wechat.protocol import NonceBook, RequestRejected, WechatProtocol

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/wechat"
TEXT_PLAIN = b"text/plain; charset=utf-8"


def build_context(settings: Settings) -> AppContext:
    """Everything a worker process needs, built once from the settings."""
    from intents import Understanding
    from knowledge import load_pack

    engine = make_engine(settings.database_url)
    store = make_store(settings, engine)
    pack = load_pack(settings.knowledge)
    ctx = AppContext(settings=settings, engine=engine, sessions=session_factory(engine), store=store,
                     pack=pack, nlu=Understanding.from_pack(pack, learned=settings.nlu_learned), templates=ReplyTemplates(pack.path))
    from bot.wechat.api import make_wechat_api

    ctx.wechat_api = make_wechat_api(settings, store)
    from bot.centers import sync_centers_once
    from bot.live_pack import attach

    attach(ctx).refresh()   # the staff's edits of the pack, recorded in the database, over the shipped YAML
    sync_centers_once(ctx.sessions, store, ctx.pack)
    return ctx


def default_responder(ctx: AppContext) -> Responder:
    from bot.dialog.engine import DialogResponder

    return DialogResponder(ctx)


class ParseRequest(BaseModel):
    text: CleanStr = Field(max_length=2000)


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None,
               responder: Responder | None = None) -> NongbotApp:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or build_context(settings)
    gateway = Gateway(ctx, responder or default_responder(ctx))
    protocol = WechatProtocol(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                              max_skew_seconds=settings.max_timestamp_skew_seconds, mode=settings.message_mode)
    nonces = NonceBook(ctx.store, settings.max_timestamp_skew_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        stopper = None
        if settings.deliver_in_process:
            from bot.wechat.outbox import start_in_process

            stopper = start_in_process(ctx)
        from bot.live_pack import attach

        stop_watching = attach(ctx).watch()   # staff edits made in any worker reach this one
        try:
            yield
        finally:
            stop_watching()
            await gateway.drain()
            gateway.close()
            if stopper is not None:
                stopper()

    app = NongbotApp(title="农合联助手", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.state.gateway = gateway
    app.add_middleware(EdgeGuard)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": safe_errors(exc.errors())}, status_code=422)

    @app.get("/wechat")
    def wechat_verify(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            echostr = protocol.verify_url(params)
            try:
                bound = nonces.bind(params["timestamp"], params["nonce"], protocol.verification_digest(params))
            except Exception as exc:  # noqa: BLE001 - the store is down: WeChat verifies again later
                log.warning("nonce check failed for the URL verification: %s", type(exc).__name__)
                raise RequestRejected(503, "store unavailable") from None
            if not bound:
                raise RequestRejected(403, "timestamp and nonce already used")
            return PlainTextResponse(echostr)
        except RequestRejected as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)

    app.webhook = Webhook(protocol, gateway, settings.max_body_bytes, nonces)

    @app.post("/api/nlu/parse")
    def nlu_parse(body: ParseRequest) -> dict[str, Any]:
        return ctx.nlu.parse(body.text, today=ctx.today()).to_dict()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics_page() -> Response:
        from bot import metrics

        body = await run_in_threadpool(metrics.exposition, lambda: outbox_counts(ctx.engine))
        return Response(body, media_type=metrics.CONTENT_TYPE)

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


def outbox_counts(engine: Any) -> dict[str, int]:
    """Outbox rows by status, for the metrics scrape."""
    from sqlalchemy import func, select

    from bot.records.models import OutboxMessage

    with engine.connect() as conn:
        return dict(conn.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def _store_ok(ctx: AppContext) -> bool:
    try:
        return ctx.store.ping()
    except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
        return False


class NongbotApp(FastAPI):
    """FastAPI, with WeChat's callbacks (POST /wechat) answered ahead of its middleware and routing.

    The webhook is the hot path: a bare FastAPI endpoint costs ~400 µs of CPU per request here, the
    same answer from a plain ASGI callable ~220 µs (h11) or ~45 µs (httptools + uvloop)."""

    webhook: Webhook | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.webhook is not None and scope["type"] == "http" and scope["path"] == WEBHOOK_PATH
                and scope["method"] == "POST"):
            await self.webhook(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class ClientGone(Exception):
    """The client hung up before its request body was complete: there is nobody to answer."""


class Webhook:
    """POST /wechat as a plain ASGI app: body capped, signature and envelope checked, the gateway's
    answer encoded in the mode the callback came in."""

    def __init__(self, protocol: WechatProtocol, gateway: Gateway, max_body: int,
                 nonces: NonceBook | None = None) -> None:
        self.protocol, self.gateway, self.max_body, self.nonces = protocol, gateway, max_body, nonces

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived = time.monotonic()  # first: the reply budget counts from the request's arrival
        try:
            body = await read_capped(scope, receive, self.max_body)
            params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            callback = self.protocol.open(params, body)
            if self.nonces is not None and not await self._bound(callback):
                raise RequestRejected(403, "timestamp and nonce already used for another message")
        except RequestRejected as exc:
            await respond(send, exc.status, exc.reason.encode("utf-8"), TEXT_PLAIN)
            return
        except ClientGone:
            return
        try:
            text = await self.gateway.answer(callback.inbound, arrived)
            reply = self.protocol.text_reply(callback, text) if text else None
        except Exception:  # noqa: BLE001 - as Starlette would: logged, a bare 500, no trace to the client
            log.exception("webhook failed for %s", callback.inbound.dedup_key)
            await respond(send, 500, b"Internal Server Error", TEXT_PLAIN)
            return
        if reply is None:
            await respond(send, 200, b"success", TEXT_PLAIN)
        else:
            await respond(send, 200, reply, b"application/xml")

    async def _bound(self, callback: Any) -> bool:
        try:
            return await run_in_threadpool(self.nonces.bind, callback.timestamp, callback.nonce, callback.digest)
        except Exception as exc:  # noqa: BLE001 - the store is down: no answer now, WeChat's retry comes later
            log.warning("nonce check failed for %s: %s", callback.inbound.dedup_key, type(exc).__name__)
            raise RequestRejected(503, "store unavailable") from None


async def read_capped(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (Content-Length or chunked)."""
    try:
        body = await read_body(scope, receive, limit)
    except BodyTooLarge:
        raise RequestRejected(413, "body too large") from None
    if body is None:
        raise ClientGone
    return body


async def respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})
