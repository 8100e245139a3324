"""Outbound WeChat API client (客服 and template messages) with the access token shared through the store.

Built on wechatpy's WeChatClient. Its HTTP calls are blocking (`requests`): they run in the outbox
worker, never inside a webhook request. Errors come back as the typed exceptions below so the
outbox can decide between retrying, giving up, and waiting.
"""
from __future__ import annotations

import logging
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.store import Store

log = logging.getLogger(__name__)

TOKEN_LOCK = "wechat:token"
# Keep a token until this long before WeChat's expiry: after a new fetch the old token still works
# for 5 minutes, so workers holding the old one finish their calls.
TOKEN_REFRESH_MARGIN_SECONDS = 300
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired
BUSY = -1


class WechatApiError(Exception):
    """WeChat did not take the call; `errcode` is WeChat's (None for network and HTTP failures)."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class TransientError(WechatApiError):
    """Worth retrying later: WeChat busy (-1), network failure, HTTP 5xx."""


class PermanentError(WechatApiError):
    """Retrying will not help (bad openid, bad template, bad credentials, ...)."""


class WindowClosed(PermanentError):
    """45015: the user's 客服 window is closed (no action within 48 h, or unsubscribed)."""


class QuotaExceeded(PermanentError):
    """45047: the 客服 message quota for this window is used up."""


ERRCODE_ERRORS: dict[int, type[WechatApiError]] = {
    BUSY: TransientError,
    45009: TransientError,  # daily API call limit reached: tomorrow it works again
    45015: WindowClosed,
    45047: QuotaExceeded,
}


class StoreSession(SessionStorage):
    """wechatpy's session storage on our Store, so every worker sees the same access token."""

    def __init__(self, store: Store, prefix: str = "wechat:") -> None:
        self.store = store
        self.prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        value = self.store.get(self.prefix + key)
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        if ttl is not None:
            ttl = max(ttl - TOKEN_REFRESH_MARGIN_SECONDS, ttl / 2)
        self.store.set(self.prefix + key, value, ttl=ttl)

    def delete(self, key: str) -> None:
        self.store.delete(self.prefix + key)


class WechatApi(WeChatClient):
    """The deployment's outbound client: `send_text`, `send_template`; the token is fetched once per
    expiry for all workers (cached in the store, refreshed under a store lock with a double check)."""

    def __init__(self, settings: Any, store: Store, *, timeout: float = 10.0) -> None:
        # wechatpy's own retry on token errors would refetch from every worker at once; ours refetches
        # only when the stored token is still the one that failed.
        super().__init__(settings.wechat_appid, settings.wechat_secret, session=StoreSession(store),
                         timeout=timeout, auto_retry=False)
        self.store = store
        self.API_BASE_URL = settings.wechat_api_base.rstrip("/") + "/cgi-bin/"

    # ---- the calls the service makes ---------------------------------------------------------
    def send_text(self, openid: str, text: str) -> dict[str, Any]:
        """A 客服 text message (inside the user's 48-hour window)."""
        return self._call(lambda: self.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> dict[str, Any]:
        """A template message (outside the 客服 window); answers WeChat's result with `msgid`."""
        return self._call(lambda: self.message.send_template(openid, template_id, data, url=url))

    def get_media(self, media_id: str) -> tuple[bytes, str]:
        """A temporary media file (a farmer's voice or picture, kept by WeChat 3 days): bytes and type."""
        token = self.access_token
        for attempt in (1, 2):
            try:
                res = self._http.get(self.API_BASE_URL + "media/get", timeout=self.timeout,
                                     params={"access_token": token, "media_id": media_id})
            except requests.RequestException as exc:
                raise TransientError(f"network: {exc.__class__.__name__}: {exc}") from exc
            kind = res.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
            if res.status_code >= 400:
                raise (TransientError if res.status_code >= 500 else PermanentError)(f"HTTP {res.status_code}")
            if kind not in ("application/json", "text/plain"):
                return res.content, kind
            answer = res.json()
            errcode = int(answer.get("errcode") or 0)
            if errcode in TOKEN_ERRORS and attempt == 1:
                token = self.refresh_token(stale=token)
                continue
            raise ERRCODE_ERRORS.get(errcode, PermanentError)(f"{errcode} {answer.get('errmsg')}", errcode)
        raise PermanentError("media/get: the access token was refused twice")

    # ---- the access token ----------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.refresh_token()

    def refresh_token(self, stale: str | None = None) -> str:
        """A token newer than `stale`: the first worker through the lock fetches, the rest reuse its token."""
        with self.store.lock(TOKEN_LOCK, ttl=(self.timeout or 10) * 3, wait=(self.timeout or 10) * 2):
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current
            if current:
                self.session.delete(self.access_token_key)
            result = self._guarded(self.fetch_access_token)
            return result["access_token"]

    def fetch_access_token(self) -> dict[str, Any]:
        # Not wechatpy's _fetch_access_token: that one waits forever on a stalled server (no timeout).
        log.info("fetching a WeChat access token")
        res = self._http.get(self.API_BASE_URL + "token", timeout=self.timeout,
                             params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        if res.status_code >= 400:
            raise WeChatClientException(None, None, client=self, request=res.request, response=res)
        result = res.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self,
                                        request=res.request, response=res)
        self.session.set(self.access_token_key, result["access_token"], int(result.get("expires_in", 7200)))
        return result

    # ---- error mapping -------------------------------------------------------------------------
    def _call(self, send: Any) -> dict[str, Any]:
        token = self.access_token
        try:
            return self._answer(self._guarded(send))
        except WechatApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        log.info("WeChat refused the access token; fetching a new one once")
        self.refresh_token(stale=token)
        return self._answer(self._guarded(send))

    @staticmethod
    def _answer(result: Any) -> dict[str, Any]:
        if not isinstance(result, dict):  # wechatpy hands back the raw response when it is not JSON
            raise TransientError("WeChat answered something that is not JSON")
        return result

    @staticmethod
    def _guarded(call: Any) -> Any:
        try:
            return call()
        except WeChatClientException as exc:
            raise _typed(exc) from exc
        except requests.RequestException as exc:  # also a token answer that is not JSON (JSONDecodeError)
            raise TransientError(f"network: {exc.__class__.__name__}: {exc}") from exc


def _typed(exc: WeChatClientException) -> WechatApiError:
    if exc.errcode is None:  # HTTP failure before WeChat's JSON
        status = getattr(exc.response, "status_code", None)
        kind = TransientError if status is None or status >= 500 or status == 429 else PermanentError
        return kind(f"HTTP {status}", None)
    errcode = int(exc.errcode)
    kind = ERRCODE_ERRORS.get(errcode, PermanentError)
    return kind(f"{errcode} {exc.errmsg}", errcode)


def make_wechat_api(settings: Any, store: Store) -> WechatApi | None:
    """The client, or None when NONGBOT_WECHAT_APPID/SECRET are not both set: then outbound is off,
    and the outbox worker logs it and keeps messages pending until a deployment with credentials runs."""
    if not settings.outbound_enabled:
        log.warning("outbound WeChat messages are disabled (NONGBOT_WECHAT_SECRET not set); the outbox keeps them")
        return None
    return WechatApi(settings, store)
