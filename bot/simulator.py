"""The demo's chat simulator: a web page that talks to /wechat exactly as WeChat does, and a
stand-in WeChat API that collects the 客服 messages the bot sends, so they show in the chat."""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from bot.context import AppContext
from bot.wechat.simclient import WechatSim

PAGES = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                    autoescape=select_autoescape(["html"]))
INBOX_TTL = 48 * 3600
INBOX_MAX = 200


class SimMessage(BaseModel):
    openid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    kind: str = Field("text", pattern=r"^(text|voice|location|event)$")
    text: str | None = Field(None, max_length=2000)
    lat: float | None = None
    lon: float | None = None
    event: str | None = Field(None, pattern=r"^(subscribe|unsubscribe|SCAN|CLICK|VIEW)$")
    key: str | None = Field(None, max_length=200)


def send_as_wechat(sim: WechatSim, msg: SimMessage) -> Any:
    if msg.kind == "voice":
        return sim.voice(msg.text)
    if msg.kind == "location":
        return sim.location(msg.lat or 0.0, msg.lon or 0.0, msg.text or "")
    if msg.kind == "event":
        return sim.event(msg.event or "subscribe", msg.key)
    return sim.text(msg.text or "")


def mount(app: FastAPI, ctx: AppContext) -> None:
    """Add /simulator (page + API) and the stand-in WeChat API when the deployment asks for them."""
    if not ctx.settings.simulator:
        return
    settings = ctx.settings
    tokens: dict[str, float] = {}

    @app.get("/simulator", response_class=HTMLResponse)
    def simulator_page() -> str:
        return PAGES.get_template("simulator.html").render(
            county=ctx.pack.info.county, openid="oFarmer" + secrets.token_hex(8),
            mode="安全模式（AES 加密）" if settings.wechat_aes_key else "明文模式")

    @app.post("/simulator/api/send")
    def simulator_send(msg: SimMessage, request: Request) -> dict[str, Any]:
        with httpx.Client(base_url=str(request.base_url), timeout=15.0) as http:
            sim = WechatSim(http, settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                            openid=msg.openid)
            reply = send_as_wechat(sim, msg)
        return {"status": reply.status, "reply": reply.text, "encrypted": reply.encrypted}

    @app.get("/simulator/api/inbox")
    def simulator_inbox(openid: str, after: int = 0) -> dict[str, Any]:
        items = ctx.store.get(f"sim:inbox:{openid}") or []
        return {"items": [item for item in items if item["seq"] > after]}

    # ---- the stand-in WeChat API (the demo points NONGBOT_WECHAT_API_BASE here) -------
    @app.get("/simulator/wechat-api/cgi-bin/token")
    def fake_token(appid: str = "", secret: str = "") -> dict[str, Any]:
        if appid != settings.wechat_appid or secret != settings.wechat_secret:
            return {"errcode": 40013, "errmsg": "invalid appid or secret"}
        token = secrets.token_urlsafe(32)
        tokens[token] = time.time() + 7200
        return {"access_token": token, "expires_in": 7200}

    def deliver(request: Request, body: dict[str, Any], what: str) -> JSONResponse:
        token = request.query_params.get("access_token", "")
        if tokens.get(token, 0) < time.time():
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        openid = str(body.get("touser", ""))
        text = what
        with ctx.store.lock(f"sim:inbox-lock:{openid}", ttl=5, wait=5):
            items = ctx.store.get(f"sim:inbox:{openid}") or []
            seq = (items[-1]["seq"] if items else 0) + 1
            items = (items + [{"seq": seq, "text": text}])[-INBOX_MAX:]
            ctx.store.set(f"sim:inbox:{openid}", items, ttl=INBOX_TTL)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": seq})

    @app.post("/simulator/wechat-api/cgi-bin/message/custom/send")
    async def fake_custom_send(request: Request) -> JSONResponse:
        body = await request.json()
        return deliver(request, body, str((body.get("text") or {}).get("content", "")))

    @app.post("/simulator/wechat-api/cgi-bin/message/template/send")
    async def fake_template_send(request: Request) -> JSONResponse:
        body = await request.json()
        lines = [str(v.get("value", "")) for v in (body.get("data") or {}).values() if isinstance(v, dict)]
        return deliver(request, body, "【模板消息】" + "\n".join(lines))
