"""Who may see and change what: every console query and permission check goes through here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from bot.records.models import REQUEST_KINDS, StaffUser, Ticket

T = TypeVar("T")


class Denied(Exception):
    """The caller may not do this (status 403), or the record does not exist for them (404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotLoggedIn(Exception):
    """No valid session or token."""


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member as the rules see them."""

    id: int
    username: str
    role: str
    center_id: int | None
    display_name: str
    center_name: str | None = None

    @classmethod
    def of(cls, user: StaffUser) -> Staff:
        return cls(id=user.id, username=user.username, role=user.role, center_id=user.center_id,
                   display_name=user.display_name or user.username,
                   center_name=user.center.name if user.center else None)

    @property
    def sees_all_centers(self) -> bool:
        return self.role in ("county_admin", "viewer")

    @property
    def can_change(self) -> bool:
        return self.role in ("county_admin", "center_staff")

    @property
    def is_admin(self) -> bool:
        return self.role == "county_admin"


def scoped(staff: Staff, model: Any, stmt: Select | None = None) -> Select:
    """`stmt` (default: all rows of `model`) limited to the centers the staff member works for."""
    stmt = select(model) if stmt is None else stmt
    if staff.sees_all_centers:
        return stmt
    return stmt.where(model.center_id == staff.center_id) if staff.center_id is not None else stmt.where(false())


def require_change(staff: Staff) -> None:
    if not staff.can_change:
        raise Denied(403, "只读账号不能修改记录")


def require_admin(staff: Staff) -> None:
    if not staff.is_admin:
        raise Denied(403, "仅县级管理员可以执行此操作")


def _one(session: Session, staff: Staff, model: type[T], record_id: int, change: bool) -> T:
    if change:
        require_change(staff)
    row = session.scalar(scoped(staff, model).where(model.id == record_id))
    if row is None:
        # Records of another center answer exactly like records that do not exist.
        raise Denied(404, "记录不存在或无权查看")
    return row


def ticket_for(session: Session, staff: Staff, ticket_id: int, *, change: bool = False) -> Ticket:
    return _one(session, staff, Ticket, ticket_id, change)


def request_model(kind: str) -> Any:
    model = REQUEST_KINDS.get(kind)
    if model is None:
        raise Denied(404, "没有这种申请类型")
    return model


def request_for(session: Session, staff: Staff, kind: str, request_id: int, *, change: bool = False) -> Any:
    return _one(session, staff, request_model(kind), request_id, change)
