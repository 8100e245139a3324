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

from bot.records.models import AuditLog, ServiceCenter, StaffUser

ROLES = ("county_admin", "center_staff", "viewer")
ROLE_LABELS = {"county_admin": "县级管理员", "center_staff": "服务中心工作人员", "viewer": "只读查看"}
SESSION_MAX_AGE = 12 * 3600
# Failed logins only: at most LOGIN_LIMIT per username and per client address in LOGIN_WINDOW seconds.
# From an address the user has logged in from before (KNOWN_ADDRESS_DAYS) the username's count does not
# apply — whoever guesses elsewhere cannot lock the real user out of their office — only that address's
# own failures for that user, over the shorter KNOWN_WINDOW.
LOGIN_LIMIT = 10
LOGIN_WINDOW = 15 * 60
KNOWN_WINDOW = 5 * 60
KNOWN_ADDRESS_DAYS = 180

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


def _failures(store: Any, key: str) -> int:
    value = store.get(key)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def authenticate(session: Session, store: Any, username: str, password: str, address: str,
                 now: datetime | None = None) -> StaffUser | None:
    """The active account with these credentials, or None; raises TooManyAttempts past the limit."""
    user_key, addr_key = f"admin:login:user:{username}", f"admin:login:addr:{address}"
    pair_key, known_key = f"admin:login:pair:{username}:{address}", f"admin:login:known:{username}:{address}"
    if store.get(known_key):
        blocked = _failures(store, pair_key) >= LOGIN_LIMIT
    else:
        blocked = _failures(store, user_key) >= LOGIN_LIMIT or _failures(store, addr_key) >= LOGIN_LIMIT
    if blocked:
        session.add(AuditLog(action="login_blocked", detail={"username": username, "address": address}))
        raise TooManyAttempts()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not password_matches(user.password_hash, password):
        store.incr(user_key, LOGIN_WINDOW)
        store.incr(addr_key, LOGIN_WINDOW)
        store.incr(pair_key, KNOWN_WINDOW)
        session.add(AuditLog(staff_id=user.id if user else None, action="login_failed",
                             detail={"username": username, "address": address}))
        return None
    store.delete(pair_key)
    store.set(known_key, 1, ttl=KNOWN_ADDRESS_DAYS * 86400)
    user.last_login_at = now or datetime.now(timezone.utc)
    session.add(AuditLog(staff_id=user.id, action="login", detail={"address": address}))
    return user


def revoke_sessions(session: Session, user_id: int, actor_id: int | None = None, reason: str = "logout") -> None:
    """End every console session and API token of this staff member (they carry the old epoch)."""
    user = session.get(StaffUser, user_id)
    if user is None:
        return
    user.session_epoch = (user.session_epoch or 0) + 1
    session.add(AuditLog(staff_id=actor_id if actor_id is not None else user_id, action=reason,
                         target_kind="staff", target_id=user_id, detail={}))


def set_password(session: Session, username: str, password: str, actor_id: int | None = None) -> StaffUser:
    """A new password for `username`; every session and token the account had ends."""
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    user.password_hash = hash_password(password)
    session.flush()
    revoke_sessions(session, user.id, actor_id, reason="set_password")
    return user


@dataclass(frozen=True)
class Tokens:
    """Signs what identifies a staff member: the console's session cookie and the API's bearer token."""

    secret_key: str

    def _serializer(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=salt)

    def api_token(self, user: StaffUser) -> str:
        return self._serializer("nongbot-admin-api").dumps({"uid": user.id, "ep": user.session_epoch or 0})

    def api_user(self, token: str) -> tuple[Any, Any]:
        """(user id, session epoch) the token was issued for; (None, None) when it is not ours."""
        data = self._load("nongbot-admin-api", token) or {}
        return data.get("uid"), data.get("ep")

    def api_user_id(self, token: str) -> int | None:
        return self.api_user(token)[0]

    def session_cookie(self, user_id: int | None, csrf: str | None = None, epoch: int = 0) -> str:
        return self._serializer("nongbot-admin-session").dumps(
            {"uid": user_id, "ep": epoch, "csrf": csrf or secrets.token_urlsafe(24)})

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
    from bot.store.db import transaction

    with transaction(ctx.sessions) as session:
        if session.scalar(select(func.count(StaffUser.id))):
            name = session.scalar(select(StaffUser.username).where(StaffUser.role == "county_admin")
                                  .order_by(StaffUser.id).limit(1))
            return name or "admin", None
        password = secrets.token_urlsafe(9)
        create_user(session, "admin", password, "county_admin", display_name="县供销社管理员")
        return "admin", password
