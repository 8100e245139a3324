"""A local fake of the WeChat API (api.weixin.qq.com) speaking its JSON, for outbound tests.

Serves on a random port of 127.0.0.1 from a daemon thread:
- GET  /cgi-bin/token?grant_type=client_credential&appid=..&secret=..  → {"access_token", "expires_in"}
- POST /cgi-bin/message/custom/send?access_token=..    (客服 message)  → {"errcode": 0, "errmsg": "ok"}
- POST /cgi-bin/message/template/send?access_token=..  (template)      → {"errcode": 0, "errmsg": "ok", "msgid": N}
- GET  /cgi-bin/media/get?access_token=..&media_id=..  (temporary media) → the file's bytes, or {"errcode": 40007}

A send with a token the fake never issued (or has invalidated) answers 40001, as WeChat does.
Failures are programmed per call with `fail_next(kind, n)`; see `FAILURES`.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# kind → (errcode, errmsg) answered with HTTP 200, as WeChat reports errors.
ERRORS: dict[str, tuple[int, str]] = {
    "invalid_credential": (40001, "invalid credential, access_token is invalid or not latest"),
    "expired_token": (42001, "access_token expired"),
    "window_closed": (45015, "response out of time limit or subscription is canceled"),
    "quota": (45047, "out of response count limit"),
    "busy": (-1, "system error"),
    "invalid_openid": (40003, "invalid openid"),
}
# Failures that are not an errcode: an HTTP 500, or an answer after `slow_seconds`.
FAILURES = tuple(ERRORS) + ("http500", "slow")
SEND_PATHS = {"/cgi-bin/message/custom/send": "custom", "/cgi-bin/message/template/send": "template"}


@dataclass
class _Fault:
    kind: str
    left: int
    on: str  # "send" | "token"


@dataclass
class FakeWechatApi:
    """State and knobs of the fake; the `fake_wechat` fixture hands you one, reset for each test.

    Attributes tests read:
      base_url        "http://127.0.0.1:PORT" — give it to Settings(wechat_api_base=...)
      received        accepted messages, oldest first: dicts with kind ("custom" | "template"),
                      openid, msgtype, text (custom text), template_id, data, url, msgid, access_token
      token_fetches   how many access tokens were issued
      attempts        every send request, accepted or not: {"path", "openid", "errcode"}
      media_fetches   media ids asked of /cgi-bin/media/get with a valid token, in order
    Knobs:
      expires_in      seconds announced with each new token (default 7200)
      slow_seconds    how long a "slow" fault stalls (default 1.0)
      fail_next(kind, n=1, on="send")  the next n sends (or token fetches, on="token") fail as `kind`,
                      one of FAILURES: invalid_credential 40001 (also invalidates every issued token),
                      expired_token 42001 (same), window_closed 45015, quota 45047, busy -1,
                      invalid_openid 40003, http500, slow (answers normally, after slow_seconds)
      invalidate_tokens()  every issued token answers 40001 from now on
      add_media(media_id, data, content_type)  a temporary media file the farmer "uploaded"
      texts_to(openid)     the 客服 texts accepted for one user
      settings_overrides() keyword arguments for `make_settings(...)` that turn outbound on against the fake
      reset()
    """

    base_url: str = ""
    expires_in: int = 7200
    slow_seconds: float = 1.0
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    token_fetches: int = 0
    media_fetches: list[str] = field(default_factory=list)
    _media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _tokens: set[str] = field(default_factory=set)
    _faults: list[_Fault] = field(default_factory=list)
    _next_msgid: int = 1000
    _epoch: int = 0  # bumped by reset(): a request still stalled from an earlier test records nothing
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- knobs ----------------------------------------------------------------------------
    def fail_next(self, kind: str, n: int = 1, on: str = "send") -> None:
        if kind not in FAILURES:
            raise ValueError(f"unknown failure {kind!r}; one of {FAILURES}")
        if on not in ("send", "token"):
            raise ValueError("on must be 'send' or 'token'")
        with self._lock:
            self._faults.append(_Fault(kind, n, on))

    def invalidate_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def add_media(self, media_id: str, data: bytes, content_type: str) -> None:
        with self._lock:
            self._media[media_id] = (data, content_type)

    def reset(self) -> None:
        with self._lock:
            self._epoch += 1
            self.received.clear()
            self.attempts.clear()
            self.media_fetches.clear()
            self._media.clear()
            self._tokens.clear()
            self._faults.clear()
            self.token_fetches = 0
            self.expires_in = 7200
            self.slow_seconds = 1.0

    def settings_overrides(self) -> dict[str, str]:
        return {"wechat_api_base": self.base_url, "wechat_appid": "wx1234567890abcdef",
                "wechat_secret": "fake-app-secret"}

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"] for m in list(self.received) if m["openid"] == openid and m.get("msgtype") == "text"]

    # ---- what the server does ---------------------------------------------------------------
    def _take_fault(self, on: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.on == on and fault.left > 0:
                    fault.left -= 1
                    if fault.kind in ("invalid_credential", "expired_token"):
                        self._tokens.clear()
                    return fault.kind
        return None

    def token(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if query.get("grant_type") != "client_credential":
            return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
        if not query.get("appid"):
            return 200, {"errcode": 41002, "errmsg": "appid missing"}
        if not query.get("secret"):
            return 200, {"errcode": 41004, "errmsg": "appsecret missing"}
        fault = self._take_fault("token")
        if fault is not None and fault not in ("slow",):
            return self._fault_answer(fault)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        with self._lock:
            self.token_fetches += 1
            # Unique across resets; long like real ones (callers must store them whole).
            token = f"FAKE_TOKEN_{self._epoch}_{self.token_fetches}_{uuid.uuid4().hex}_{'x' * 100}"
            self._tokens.add(token)
            return 200, {"access_token": token, "expires_in": self.expires_in}

    def send(self, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        kind = SEND_PATHS[path]
        openid = body.get("touser")
        token = query.get("access_token", "")
        epoch = self._epoch
        fault = self._take_fault("send")
        if fault == "slow":
            time.sleep(self.slow_seconds)
        elif fault is not None:
            status, answer = self._fault_answer(fault)
            self._attempt(path, openid, answer.get("errcode", status))
            return status, answer
        with self._lock:
            if epoch != self._epoch:
                return 200, {"errcode": -1, "errmsg": "system error (request from an earlier test)"}
            if token not in self._tokens:
                self.attempts.append({"path": path, "openid": openid, "errcode": 40001})
                return 200, {"errcode": 40001, "errmsg": ERRORS["invalid_credential"][1]}
            if not openid:
                self.attempts.append({"path": path, "openid": openid, "errcode": 40003})
                return 200, {"errcode": 40003, "errmsg": "invalid openid"}
            self._next_msgid += 1
            msgid = self._next_msgid
            self.attempts.append({"path": path, "openid": openid, "errcode": 0})
            record = {"kind": kind, "openid": openid, "msgid": msgid, "access_token": token}
            if kind == "custom":
                record.update(msgtype=body.get("msgtype"), text=(body.get("text") or {}).get("content"))
            else:
                record.update(msgtype="template", template_id=body.get("template_id"), data=body.get("data"),
                              url=body.get("url"))
            self.received.append(record)
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        if kind == "template":
            answer["msgid"] = msgid
        return 200, answer

    def media(self, query: dict[str, str]) -> tuple[int, dict[str, Any] | tuple[bytes, str]]:
        """WeChat's temporary media: the bytes (with the upload's Content-Type), or errcode JSON."""
        with self._lock:
            if query.get("access_token", "") not in self._tokens:
                return 200, {"errcode": 40001, "errmsg": ERRORS["invalid_credential"][1]}
            found = self._media.get(query.get("media_id", ""))
            if found is None:
                return 200, {"errcode": 40007, "errmsg": "invalid media_id"}
            self.media_fetches.append(query["media_id"])
            return 200, found

    def _attempt(self, path: str, openid: str | None, errcode: int) -> None:
        with self._lock:
            self.attempts.append({"path": path, "openid": openid, "errcode": errcode})

    @staticmethod
    def _fault_answer(kind: str) -> tuple[int, dict[str, Any]]:
        if kind == "http500":
            return 500, {"error": "internal server error"}
        errcode, errmsg = ERRORS[kind]
        return 200, {"errcode": errcode, "errmsg": errmsg}


def _handler_for(fake: FakeWechatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
            pass

        def _query(self) -> tuple[str, dict[str, str]]:
            parts = urlsplit(self.path)
            return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a "slow" fault): nothing to tell it

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path, query = self._query()
            if path == "/cgi-bin/token":
                self._answer(*fake.token(query))
            elif path == "/cgi-bin/media/get":
                status, answer = fake.media(query)
                if isinstance(answer, dict):
                    self._answer(status, answer)
                    return
                data, content_type = answer
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Disposition", 'attachment; filename="media"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._answer(404, {"errcode": 404, "errmsg": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            path, query = self._query()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path not in SEND_PATHS:
                self._answer(404, {"errcode": 404, "errmsg": "not found"})
                return
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                self._answer(200, {"errcode": 47001, "errmsg": "data format error"})
                return
            self._answer(*fake.send(path, query, body))

    return Handler


class FakeWechatServer:
    """Runs a FakeWechatApi on 127.0.0.1 (random port) until `stop()`."""

    def __init__(self) -> None:
        self.api = FakeWechatApi()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self.api))
        self._server.daemon_threads = True
        self.api.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-wechat-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
