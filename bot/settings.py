"""Deployment settings: one pydantic-settings class read from the NONGBOT_* environment."""
from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_NOTICE_TEMPLATE_FIELDS = {"title": "thing1", "text": "thing2", "time": "time3"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NONGBOT_", extra="ignore")

    database_url: str = "sqlite:///./nongbot.db"
    redis_url: str | None = None
    redis_prefix: str = Field("nongbot:", description="every Redis key starts with this: deployments sharing a server")
    wechat_token: str = ""
    wechat_aes_key: str | None = None
    # The account's message mode as set in the 公众平台 (明文 plain, 兼容 compat, 安全 safe); unset: safe with
    # an AES key, else plain. Safe refuses plaintext callbacks (their signature does not cover the body).
    wechat_mode: Literal["plain", "compat", "safe"] | None = None
    wechat_appid: str = ""
    wechat_secret: str | None = None
    wechat_api_base: str = DEFAULT_WECHAT_API_BASE
    knowledge: str = "zhongxian"
    secret_key: str = ""

    # Operational knobs (not part of the CONTRACT, safe defaults).
    reply_budget_seconds: float = Field(4.0, description="after this, answer 'success' and reply via 客服 API")
    max_body_bytes: int = 64 * 1024
    max_timestamp_skew_seconds: int = 300
    dedup_ttl_seconds: int = 600
    session_ttl_seconds: int = 7 * 24 * 3600
    deliver_in_process: bool = True
    outbox_poll_seconds: float = 0.5
    outbox_keep_sent_days: float = Field(7.0, ge=2.0, description="sent outbox rows are deleted after this")
    timezone: str = "Asia/Shanghai"
    log_format: Literal["text", "json"] = Field("text", description="serve/worker log lines: text or one JSON object each")
    knowledge_refresh_seconds: float = Field(5.0, gt=0, description="how often a worker looks for staff edits "
                                                                     "of the knowledge pack (one small query)")
    # Personal information (PIPL): how long the message log and closed tickets are kept (`nongbot admin purge`).
    message_log_keep_days: float = Field(180.0, gt=0)
    closed_ticket_keep_days: float = Field(365.0, gt=0)
    simulator: bool = Field(False, description="serve /simulator and its stand-in WeChat API (the demo)")
    notice_template_id: str | None = Field(None, description="template message for staff replies and status notices past the 客服 window")
    # Which keyword of the template each part of a notice fills (the template chosen in the 公众号 console
    # decides the names): title (who writes), text (the message), time (when, in `timezone`). Omit a part
    # the template has no keyword for. Env: JSON, e.g. {"title": "thing1", "text": "thing2", "time": "time3"}.
    notice_template_fields: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_NOTICE_TEMPLATE_FIELDS))
    # How soon staff should answer a farmer waiting on a ticket; a center may have its own (JSON of center
    # name or code → hours). Tickets waiting longer are highlighted in the console.
    reply_target_hours: float = Field(2.0, gt=0, description="reply-time target for tickets, hours")
    reply_target_hours_by_center: dict[str, float] = Field(default_factory=dict)
    # The NLU's learned second stage (intents.learned): read where the rules are unsure. Env NONGBOT_NLU_LEARNED=0
    # turns it off (the rules answer alone); Understanding built without settings reads the same variable.
    nlu_learned: bool = Field(True, description="NLU learned second stage on messages the rules are unsure of")
    cookie_secure: bool | None = Field(None, description="staff session cookie Secure: true | false | auto (unset): "
                                                         "when the request came over https, directly or as the "
                                                         "reverse proxy's X-Forwarded-Proto / Forwarded says")

    @field_validator("wechat_mode", mode="before")
    @classmethod
    def _mode_name(cls, value: object) -> object:
        return (value.strip().lower() or None) if isinstance(value, str) else value

    @field_validator("redis_url", "wechat_aes_key", "wechat_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("cookie_secure", mode="before")
    @classmethod
    def _auto_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "auto") else value

    @field_validator("notice_template_fields")
    @classmethod
    def _template_fields_shape(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(DEFAULT_NOTICE_TEMPLATE_FIELDS)
        if unknown:
            raise ValueError(f"NONGBOT_NOTICE_TEMPLATE_FIELDS: unknown part(s) {sorted(unknown)}; "
                             f"use {sorted(DEFAULT_NOTICE_TEMPLATE_FIELDS)}")
        if "text" not in value:
            raise ValueError("NONGBOT_NOTICE_TEMPLATE_FIELDS must name the keyword for \"text\"")
        bad = [name for name in value.values() if not re.fullmatch(r"[a-z_]+[0-9]*", name)]
        if bad or len(set(value.values())) != len(value):
            raise ValueError(f"NONGBOT_NOTICE_TEMPLATE_FIELDS: keywords must be distinct names like thing2, "
                             f"got {bad or value}")
        return value

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 43:
            raise ValueError("NONGBOT_WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        return value

    @property
    def message_mode(self) -> str:
        """plain | compat | safe: the configured mode, else safe with an AES key and plain without."""
        return self.wechat_mode or ("safe" if self.wechat_aes_key else "plain")

    def serve_problems(self) -> list[str]:
        """Why `nongbot serve` must not start with these settings (empty: it may)."""
        if not self.wechat_token:
            return ["NONGBOT_WECHAT_TOKEN is not set: set it to the Token configured in the 公众平台 "
                    "(without it anyone can sign callbacks)"]
        if self.message_mode != "plain" and not self.wechat_aes_key:
            return [f"NONGBOT_WECHAT_MODE={self.message_mode} needs NONGBOT_WECHAT_AES_KEY (the 43-character "
                    "EncodingAESKey from the 公众平台)"]
        return []

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def outbound_enabled(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret)
