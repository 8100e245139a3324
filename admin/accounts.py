"""Staff accounts: argon2 password hashes, login with rate limiting, signed session and API tokens."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import AuditLog, ServiceCenter, StaffUser

ROLES = ("county_admin", "center_staff", "viewer")
ROLE_LABELS = {"county_admin": "县级管理员", "center_staff": "服务中心工作人员", "viewer": "只读查看"}
SESSION_MAX_AGE = 12 * 3600
# At most this many login attempts per username and per client address in LOGIN_WINDOW seconds.
LOGIN_LIMIT = 10
LOGIN_WINDOW = 15 * 60

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A staff account cannot be created as asked."""


class TooManyAttempts(Exception):
    """Login refused: too many attempts for this username or address."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str, center: str | None = None,
                display_name: str | None = None, actor_id: int | None = None) -> StaffUser:
    """A new staff account; `center` is a service center's name (or code), required for center staff."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise AccountError(f"user {username!r} exists")
    center_id = None
    if center:
        row = session.scalar(select(ServiceCenter).where(
            (ServiceCenter.name == center) | (ServiceCenter.code == center)))
        if row is None:
            raise AccountError(f"no service center named {center!r}")
        center_id = row.id
    if role == "center_staff" and center_id is None:
        raise AccountError("center_staff needs --center")
    user = StaffUser(username=username, password_hash=hash_password(password), role=role, center_id=center_id,
                     display_name=display_name or username)
    session.add(user)
    session.flush()
    session.add(AuditLog(staff_id=actor_id, action="create_user", target_kind="staff", target_id=user.id,
                         detail={"username": username, "role": role, "center_id": center_id}))
    return user


def authenticate(session: Session, store: Any, username: str, password: str, address: str,
                 now: datetime | None = None) -> StaffUser | None:
    """The active account with these credentials, or None; raises TooManyAttempts past the limit."""
    over = [store.incr(key, LOGIN_WINDOW) > LOGIN_LIMIT
            for key in (f"admin:login:user:{username}", f"admin:login:addr:{address}")]
    if any(over):
        session.add(AuditLog(action="login_blocked", detail={"username": username, "address": address}))
        raise TooManyAttempts()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not password_matches(user.password_hash, password):
        session.add(AuditLog(staff_id=user.id if user else None, action="login_failed",
                             detail={"username": username, "address": address}))
        return None
    store.delete(f"admin:login:user:{username}")
    user.last_login_at = now or datetime.now(timezone.utc)
    session.add(AuditLog(staff_id=user.id, action="login", detail={"address": address}))
    return user


@dataclass(frozen=True)
class Tokens:
    """Signs what identifies a staff member: the console's session cookie and the API's bearer token."""

    secret_key: str

    def _serializer(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=salt)

    def api_token(self, user: StaffUser) -> str:
        return self._serializer("nongbot-admin-api").dumps({"uid": user.id})

    def api_user_id(self, token: str) -> int | None:
        data = self._load("nongbot-admin-api", token)
        return data.get("uid") if data else None

    def session_cookie(self, user_id: int | None, csrf: str | None = None) -> str:
        return self._serializer("nongbot-admin-session").dumps(
            {"uid": user_id, "csrf": csrf or secrets.token_urlsafe(24)})

    def session(self, cookie: str | None) -> dict[str, Any] | None:
        return self._load("nongbot-admin-session", cookie) if cookie else None

    def _load(self, salt: str, value: str) -> dict[str, Any] | None:
        try:
            data = self._serializer(salt).loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None


def ensure_demo_admin(ctx: Any) -> tuple[str, str | None]:
    """The demo's county_admin: created with a generated password when no staff account exists yet."""
    from bot.db import transaction

    with transaction(ctx.sessions) as session:
        if session.scalar(select(func.count(StaffUser.id))):
            name = session.scalar(select(StaffUser.username).where(StaffUser.role == "county_admin")
                                  .order_by(StaffUser.id).limit(1))
            return name or "admin", None
        password = secrets.token_urlsafe(9)
        create_user(session, "admin", password, "county_admin", display_name="县供销社管理员")
        return "admin", password
