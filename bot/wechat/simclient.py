"""A WeChat-server stand-in: builds, signs and encrypts callbacks exactly as WeChat does and reads replies.

Used by the demo's /simulator page, `nongbot chat`, the load generator and the tests. It talks
to any httpx-style client: `fastapi.testclient.TestClient(app)` in-process or `httpx.Client`.
"""
from __future__ import annotations

import itertools
import random
import string
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from wechatpy.crypto import WeChatCrypto

from bot.wechat.protocol import cdata, sign

NUMERIC_TAGS = {"CreateTime", "MsgId", "Location_X", "Location_Y", "Scale", "Latitude", "Longitude", "Precision"}
_msgids = itertools.count(int(time.time() * 1000) * 1000 + random.randint(0, 999))


def render_callback(fields: dict[str, Any]) -> str:
    parts = ["<xml>"]
    for tag, value in fields.items():
        parts.append(f"<{tag}>{value if tag in NUMERIC_TAGS else cdata(str(value))}</{tag}>")
    parts.append("</xml>")
    return "".join(parts)


@dataclass
class SimReply:
    status: int
    body: bytes
    text: str | None = None            # Content of a text reply; None for 'success'/empty
    fields: dict[str, str] = field(default_factory=dict)
    encrypted: bool = False


class WechatSim:
    """One farmer's phone talking to one account through a given HTTP client."""

    def __init__(self, http: Any, token: str, aes_key: str | None = None, appid: str | None = None,
                 openid: str = "oFarmerDemo000000000000000", account: str = "gh_nongbot_demo",
                 path: str = "/wechat", mode: str | None = None) -> None:
        self.http = http
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key and appid else None
        self.mode = mode or ("aes" if self.crypto else "plain")
        self.openid = openid
        self.account = account
        self.path = path

    # ---- building -------------------------------------------------------------------
    def fields(self, msg_type: str, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"ToUserName": self.account, "FromUserName": self.openid,
                                "CreateTime": int(time.time()), "MsgType": msg_type}
        base.update(extra)
        if msg_type != "event":
            base.setdefault("MsgId", next(_msgids))
        return base

    def params(self) -> dict[str, str]:
        ts, nonce = str(int(time.time())), "".join(random.choices(string.digits, k=10))
        return {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                "openid": self.openid}

    def envelope(self, xml: str, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        if self.mode == "plain" or self.crypto is None:
            return xml.encode("utf-8"), params
        encrypted = self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        encrypt = ElementTree.fromstring(encrypted).findtext("Encrypt") or ""
        params = dict(params, encrypt_type="aes",
                      msg_signature=sign(self.token, params["timestamp"], params["nonce"], encrypt))
        if self.mode == "compat":
            body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>")
        else:
            body = render_callback({"ToUserName": self.account, "Encrypt": encrypt})
        return body.encode("utf-8"), params

    # ---- sending --------------------------------------------------------------------
    def post(self, fields: dict[str, Any], params: dict[str, str] | None = None) -> SimReply:
        body, query = self.envelope(render_callback(fields), params or self.params())
        resp = self.http.post(self.path, params=query, content=body, headers={"Content-Type": "text/xml"})
        return self.read(resp.status_code, resp.content)

    def text(self, content: str, **extra: Any) -> SimReply:
        return self.post(self.fields("text", Content=content, **extra))

    def voice(self, recognition: str | None, media_id: str = "media_voice_1") -> SimReply:
        extra: dict[str, Any] = {"MediaId": media_id, "Format": "amr"}
        if recognition is not None:
            extra["Recognition"] = recognition
        return self.post(self.fields("voice", **extra))

    def location(self, lat: float, lon: float, label: str = "") -> SimReply:
        return self.post(self.fields("location", Location_X=lat, Location_Y=lon, Scale=15, Label=label))

    def event(self, event: str, key: str | None = None, **extra: Any) -> SimReply:
        if key is not None:
            extra["EventKey"] = key
        return self.post(self.fields("event", Event=event, **extra))

    # ---- reading --------------------------------------------------------------------
    def read(self, status: int, body: bytes) -> SimReply:
        raw = body.strip()
        if status != 200 or raw in (b"", b"success"):
            return SimReply(status=status, body=body)
        root = ElementTree.fromstring(raw)
        encrypted = root.find("Encrypt") is not None
        if encrypted:
            if self.crypto is None:
                raise ValueError("encrypted reply but the simulator has no AES key")
            expected = sign(self.token, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "",
                            root.findtext("Encrypt") or "")
            if expected != root.findtext("MsgSignature"):
                raise ValueError("reply MsgSignature does not verify")
            inner = self.crypto.decrypt_message({"Encrypt": root.findtext("Encrypt")},
                                                root.findtext("MsgSignature"), root.findtext("TimeStamp"),
                                                root.findtext("Nonce"))
            root = ElementTree.fromstring(inner)
        fields = {child.tag: child.text or "" for child in root}
        return SimReply(status=status, body=body, text=fields.get("Content"), fields=fields, encrypted=encrypted)
