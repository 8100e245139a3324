"""The edge of the HTTP API and the console: what a request may carry, checked before any route runs.

Every value that reaches a route is text without NUL or lone surrogates (PostgreSQL refuses the first,
UTF-8 the second), every JSON number is finite, every id in an /admin path fits the database's integer,
and a refusal is answered by this module — never by an exception raised deep inside. Console pages also
get their security headers here (CSP, X-Frame-Options, X-Content-Type-Options, Referrer-Policy).
"""
from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INT_MAX = 2**31 - 1            # PostgreSQL integer: the ids of every table
MAX_BODY = 1024 * 1024         # the console's and the NLU API's largest request body
# The console's one file upload (an xlsx is a zip: NULs are its bytes); the route reads it as a workbook.
FILE_UPLOADS = frozenset({"/admin/knowledge-import"})
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_ID_SEGMENT = re.compile(r"[0-9]+")

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
     b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def clean_text(value: str) -> str:
    """`value` unchanged when it has no NUL and no lone surrogate, else ValueError."""
    if _BAD_CHARS.search(value):
        raise ValueError("text must not contain NUL or unpaired surrogates")
    return value


CleanStr = Annotated[str, AfterValidator(clean_text)]


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise Refused(422, "数字超出范围")
    return number


def _no_constant(name: str) -> Any:
    raise Refused(422, "数字超出范围")


def check_json(body: bytes) -> None:
    """Refuses (422) a JSON body that is not JSON, or has a non-finite number, a NUL or a lone surrogate."""
    try:
        data = json.loads(body, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Refused(422, "请求体不是有效的 JSON") from None
    check_value(data)


def check_value(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _BAD_CHARS.search(item):
                raise Refused(422, "文字中含有无效字符")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**63:
            raise Refused(422, "数字超出范围")


def check_pairs(text: str) -> None:
    """A query string or urlencoded form: no NUL (percent-decoded; lone surrogates cannot survive UTF-8)."""
    for name, value in parse_qsl(text, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            raise Refused(400, "请求中含有无效字符")


def check_path(path: str) -> None:
    if "\x00" in path or _BAD_CHARS.search(path):
        raise Refused(400, "请求中含有无效字符")
    if path.startswith("/admin"):
        for segment in path.split("/"):
            if _ID_SEGMENT.fullmatch(segment) and (len(segment) > 10 or int(segment) > INT_MAX):
                raise Refused(404, "记录不存在或无权查看")


class EdgeGuard:
    """ASGI middleware in front of every route but the webhook (which has its own checks, bot.wechat.protocol)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith("/admin"):
            send = _with_headers(send)
        try:
            check_path(path)
            check_pairs(scope.get("query_string", b"").decode("latin-1"))
            if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
                body = await _read_body(scope, receive)
                if body is None:
                    return  # the client went away
                if not (path in FILE_UPLOADS and _content_type(scope).startswith(b"multipart/form-data")):
                    _check_body(scope, body)
                receive = _replay(body, receive)
        except Refused as exc:
            await _refuse(scope, send, exc)
            return
        await self.app(scope, receive, send)


def _content_type(scope: Scope) -> bytes:
    return next((value for name, value in scope["headers"] if name == b"content-type"), b"").lower()


def _check_body(scope: Scope, body: bytes) -> None:
    content_type = _content_type(scope)
    if content_type.startswith(b"application/json") or (not content_type and body[:1] in (b"{", b"[")):
        if body:
            check_json(body)
    elif content_type.startswith(b"application/x-www-form-urlencoded"):
        check_pairs(body.decode("latin-1"))
    elif b"\x00" in body:  # multipart and anything else: no NUL anywhere (but FILE_UPLOADS)
        raise Refused(400, "请求中含有无效字符")


class BodyTooLarge(Exception):
    """The request body is past its cap (declared or read)."""


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, None when the client went away; BodyTooLarge past `limit` bytes (Content-Length or
    chunked). The one body reader: the edge guard and the webhook (bot.app) both read through it."""
    declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
    if declared is not None and (not declared.isdigit() or len(declared) > 12 or int(declared) > limit):
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    try:
        return await read_body(scope, receive, MAX_BODY)
    except BodyTooLarge:
        raise Refused(413, "请求体过大") from None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            have = {name.lower() for name, _ in message.get("headers", [])}
            message = dict(message, headers=list(message.get("headers", []))
                           + [(name, value) for name, value in SECURITY_HEADERS if name not in have])
        await send(message)

    return sending


async def _refuse(scope: Scope, send: Send, exc: Refused) -> None:
    path = scope.get("path", "")
    if path.startswith("/admin/api") or path.startswith("/api"):
        body = json.dumps({"detail": exc.message}, ensure_ascii=False).encode("utf-8")
        content_type = b"application/json"
    else:
        body = exc.message.encode("utf-8")
        content_type = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


def safe_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A validation error list that always serialises: location, message and type only (never the input,
    which may be infinite, hold a lone surrogate or a NUL), as plain text."""
    def text(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return _BAD_CHARS.sub("\ufffd", str(value))[:200]

    return [{"loc": [text(part) for part in error.get("loc", ())], "msg": text(error.get("msg", "")),
             "type": text(error.get("type", ""))} for error in errors]
