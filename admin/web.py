"""The staff console under /admin: pages (cookie session + CSRF) and the JSON API (bearer token)."""

import hmac
import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admin import deadletters, inbox, requests
from admin import media as admin_media
from admin.accounts import ROLE_LABELS, SESSION_MAX_AGE, Tokens, TooManyAttempts, authenticate, revoke_sessions
from admin.canned import canned_replies
from admin.dashboard import INTENT_LABELS
from admin.dashboard import build as build_dashboard
from admin.notify import DELIVERY_LABELS
from admin.policy import Denied, NotLoggedIn, Staff, request_for, require_admin
from bot.context import AppContext
from bot.store.db import transaction
from bot.records.models import AuditLog, ServiceCenter, StaffUser
from bot.schedule import spoken_schedule

HERE = Path(__file__).parent
log = logging.getLogger(__name__)
COOKIE = "nongbot_admin"
API = "/admin/api"
ZONE_LABELS = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间"}


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class TicketStatusBody(BaseModel):
    status: str


class RequestStatusBody(BaseModel):
    status: str
    reason: str | None = Field(None, max_length=500)
    scheduled_for: str | None = Field(None, max_length=50)
    price_yuan: float | None = None
    note: str | None = Field(None, max_length=500)


def page_environment(tz: str) -> Environment:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))
    env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": value.astimezone(zone).strftime(fmt) if value else "—"
    env.filters["ago"] = ago
    env.filters["ago_before"] = lambda delta: (lambda said: said if said == "刚刚" else f"{said}前")(ago(delta))
    env.filters["shown"] = shown
    env.filters["when"] = lambda value: spoken_schedule(value) or "—"
    env.filters["said_at"] = lambda value: (lambda t: f"{t.month}月{t.day}日 {t:%H:%M}")(value.astimezone(zone))
    env.globals["zone_label"] = ZONE_LABELS.get(tz, tz)
    env.globals.update(ticket_statuses=inbox.TICKET_STATUSES, kind_labels=requests.KIND_LABELS,
                       status_labels=requests.STATUS_LABELS, delivery_labels=DELIVERY_LABELS,
                       role_labels=ROLE_LABELS, slot_labels=requests.SLOT_LABELS, intent_labels=INTENT_LABELS)
    return env


def shown(value: Any) -> Any:
    """A record's field for people: — when empty, 30 亩 rather than 30.0."""
    if value is None or value == "":
        return "—"
    return int(value) if isinstance(value, float) and value.is_integer() else value


def ago(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes} 分钟"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} 小时 {minutes % 60} 分"
    return f"{hours // 24} 天 {hours % 24} 小时"


class Console:
    """Holds the deployment context; its methods are the routes' dependencies and helpers."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.tokens = Tokens(ctx.settings.secret_key)
        self.pages = page_environment(ctx.settings.timezone)

    # ---- identity ---------------------------------------------------------------------
    def _staff(self, user_id: Any, epoch: Any) -> Staff:
        """The staff member a session or token names, while it is theirs: the account is active and the
        session's epoch is the account's (logout and a password change move it on)."""
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= 2**31 - 1:
            raise NotLoggedIn()
        with transaction(self.ctx.sessions) as session:
            user = session.get(StaffUser, user_id)
            if user is None or not user.active or epoch != (user.session_epoch or 0):
                raise NotLoggedIn()
            return Staff.of(user)

    def current_staff(self, request: Request) -> Staff:
        """The caller, from `Authorization: Bearer` (API) or the signed session cookie (pages)."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            request.state.via = "bearer"
            return self._staff(*self.tokens.api_user(header[7:].strip()))
        session = self.tokens.session(request.cookies.get(COOKIE)) or {}
        request.state.via = "cookie"
        request.state.csrf = session.get("csrf")
        return self._staff(session.get("uid"), session.get("ep", 0))

    def revoke(self, staff: Staff) -> None:
        """Logout: this staff member's sessions and tokens end, here and on every other worker."""
        with self.tx() as session:
            revoke_sessions(session, staff.id)

    async def changing_staff(self, request: Request) -> Staff:
        """The caller of a state-changing request: cookie callers must also present the CSRF token."""
        staff = await run_in_threadpool(self.current_staff, request)
        if request.state.via == "cookie":
            await self.check_csrf(request)
        return staff

    async def check_csrf(self, request: Request) -> None:
        expected = (self.tokens.session(request.cookies.get(COOKIE)) or {}).get("csrf")
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
        if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
            raise Denied(403, "表单已过期或缺少安全校验（CSRF），请刷新页面后重试")

    # ---- rendering --------------------------------------------------------------------
    def render(self, request: Request, name: str, status_code: int = 200, staff: Staff | None = None,
               **data: Any) -> HTMLResponse:
        html = self.pages.get_template(name).render(staff=staff, csrf=getattr(request.state, "csrf", None),
                                                     now=self.ctx.clock(), path=request.url.path, **data)
        return HTMLResponse(html, status_code=status_code)

    def cookie_is_secure(self, request: Request) -> bool:
        """Mark the session cookie Secure when told to, else (auto) when the browser reached us over https —
        behind a TLS-terminating reverse proxy that is what its X-Forwarded-Proto / Forwarded header says."""
        if self.ctx.settings.cookie_secure is not None:
            return self.ctx.settings.cookie_secure
        return request_was_https(request)

    def set_session_cookie(self, response: Response, request: Request, cookie: str) -> Response:
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", path="/admin",
                            secure=self.cookie_is_secure(request), max_age=SESSION_MAX_AGE)
        return response

    def tx(self) -> Any:
        return transaction(self.ctx.sessions)

    def client_address(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def login(self, username: str, password: str, address: str) -> StaffUser | None:
        with self.tx() as session:
            try:
                return authenticate(session, self.ctx.store, username, password, address, self.ctx.clock())
            except TooManyAttempts:
                pass  # leave the transaction normally so the audit row of the refusal is kept
        raise TooManyAttempts()


def mount(app: FastAPI, ctx: AppContext) -> None:
    """Add the staff console: /admin pages, /admin/api JSON, /admin/static assets."""
    if not ctx.settings.secret_key:
        # Without a key nobody can log in safely; the webhook keeps serving farmers meanwhile.
        log.warning("staff console disabled: set NONGBOT_SECRET_KEY to sign staff sessions")

        @app.api_route("/admin{rest:path}", methods=["GET", "POST"], include_in_schema=False)
        def console_disabled(rest: str) -> Response:
            return PlainTextResponse("工作台未启用：请设置 NONGBOT_SECRET_KEY（staff console disabled）",
                                     status_code=503)
        return
    console = Console(ctx)
    app.state.admin_console = console
    app.mount("/admin/static", StaticFiles(directory=str(HERE / "static")), name="admin-static")
    app.include_router(api_routes(console))
    app.include_router(page_routes(console))
    from admin import knowledge_edit

    app.include_router(knowledge_edit.routes(console))

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        if request.url.path.startswith(API):
            return JSONResponse({"detail": exc.message}, status_code=exc.status)
        staff = None
        try:
            staff = await run_in_threadpool(console.current_staff, request)
        except NotLoggedIn:
            pass
        return console.render(request, "error.html", status_code=exc.status, staff=staff, message=exc.message)

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if request.url.path.startswith(API):
            return JSONResponse({"detail": "未登录或登录已过期"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)


# ---- JSON API ------------------------------------------------------------------------------
def api_routes(console: Console) -> APIRouter:
    ctx = console.ctx
    router = APIRouter(prefix=API)
    Reader = Annotated[Staff, Depends(console.current_staff)]
    Changer = Annotated[Staff, Depends(console.changing_staff)]

    @router.post("/login")
    def api_login(body: LoginBody, request: Request) -> JSONResponse:
        try:
            user = console.login(body.username, body.password, console.client_address(request))
        except TooManyAttempts:
            return JSONResponse({"detail": "登录尝试过多，请稍后再试"}, status_code=429)
        if user is None:
            return JSONResponse({"detail": "用户名或密码错误"}, status_code=401)
        return JSONResponse({"token": console.tokens.api_token(user), "role": user.role})

    @router.post("/logout")
    def api_logout(staff: Reader) -> dict[str, Any]:
        console.revoke(staff)  # every token and session of the account ends
        return {"ok": True}

    @router.get("/tickets")
    def api_tickets(staff: Reader, status: str | None = None) -> dict[str, Any]:
        with console.tx() as session:
            rows = inbox.list_tickets(session, staff, ctx.clock(), status=status, settings=ctx.settings)
            return {"items": [inbox.ticket_json(row.ticket, row.waiting) | {
                "window_remaining": row.window.remaining, "phone": row.phone, "township": row.township,
                "title": row.title} for row in rows]}

    @router.get("/updates")
    def api_updates(staff: Reader) -> JSONResponse:
        """Polled by open console pages every few seconds (plain HTTP: works behind any reverse proxy)."""
        with console.tx() as session:
            found = inbox.updates(session, staff, ctx.settings, ctx.clock())
        return JSONResponse(found.json(), headers={"Cache-Control": "no-store"})

    @router.get("/tickets/{ticket_id}")
    def api_ticket(ticket_id: int, staff: Reader) -> dict[str, Any]:
        with console.tx() as session:
            return inbox.ticket_detail_json(inbox.ticket_detail(session, staff, ticket_id, ctx.clock(), ctx.settings))

    @router.post("/tickets/{ticket_id}/reply")
    def api_reply(ticket_id: int, body: ReplyBody, staff: Changer,
                  idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict[str, Any]:
        sent = inbox.reply_once(console.tx, ctx.store, ctx.settings, staff, ticket_id, body.text, ctx.clock(),
                                idempotency_key)
        return {"ok": True, "delivery": sent.kind, "message": sent.label, "outbox_id": sent.outbox_id,
                "repeated": sent.repeated}

    @router.post("/tickets/{ticket_id}/status")
    def api_ticket_status(ticket_id: int, body: TicketStatusBody, staff: Changer) -> dict[str, Any]:
        with console.tx() as session:
            inbox.set_status(session, staff, ticket_id, body.status, ctx.clock())
        return {"ok": True, "status": body.status}

    @router.get("/requests/{kind}")
    def api_requests(kind: str, request: Request, staff: Reader) -> dict[str, Any]:
        filters = requests.RequestFilters.parse(dict(request.query_params))
        with console.tx() as session:
            rows = requests.list_requests(session, staff, kind, filters, ctx.settings.timezone)
            centers = requests.centers_by_id(session)
            return {"items": [requests.request_json(kind, row, centers) for row in rows]}

    @router.get("/requests/{kind}/{request_id}")
    def api_request(kind: str, request_id: int, staff: Reader) -> dict[str, Any]:
        with console.tx() as session:
            row = request_for(session, staff, kind, request_id)
            data = requests.request_json(kind, row, requests.centers_by_id(session))
            data["events"] = [{"from": e.from_status, "to": e.to_status, "reason": e.reason,
                               "scheduled_for": e.scheduled_for, "price_yuan": e.agreed_price_yuan, "note": e.note,
                               "at": e.created_at.isoformat()} for e in requests.events_of(session, kind, row.id)]
            return data

    @router.post("/requests/{kind}/{request_id}/status")
    def api_request_status(kind: str, request_id: int, body: RequestStatusBody, staff: Changer) -> dict[str, Any]:
        with console.tx() as session:
            delivery = requests.change_status(session, ctx.settings, staff, kind, request_id, body.status,
                                              body.reason, ctx.clock(),
                                              requests.Schedule.parse(body.scheduled_for, body.price_yuan, body.note))
        return {"ok": True, "id": request_id, "status": body.status, "delivery": delivery.kind,
                "message": delivery.label}

    return router


# ---- pages ---------------------------------------------------------------------------------
def page_routes(console: Console) -> APIRouter:
    ctx = console.ctx
    router = APIRouter(prefix="/admin")
    Reader = Annotated[Staff, Depends(console.current_staff)]
    Changer = Annotated[Staff, Depends(console.changing_staff)]

    def back(url: str, **params: str) -> RedirectResponse:
        query = urlencode({k: v for k, v in params.items() if v})
        return RedirectResponse(url + (f"?{query}" if query else ""), status_code=303)

    @router.get("", include_in_schema=False)
    @router.get("/", include_in_schema=False)
    def home(staff: Reader) -> RedirectResponse:
        return back("/admin/tickets")

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/admin/tickets", error: str = "") -> Response:
        session = console.tokens.session(request.cookies.get(COOKIE)) or {}
        csrf = session.get("csrf")
        cookie = None if csrf else console.tokens.session_cookie(None)
        request.state.csrf = csrf or console.tokens.session(cookie)["csrf"]
        response = console.render(request, "login.html", next=safe_next(next), error=error)
        return console.set_session_cookie(response, request, cookie) if cookie else response

    @router.post("/login")
    async def login_submit(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                           next: Annotated[str, Form()] = "/admin/tickets") -> Response:
        await console.check_csrf(request)
        try:
            user = await run_in_threadpool(console.login, username[:64], password[:200],
                                           console.client_address(request))
        except TooManyAttempts:
            return back("/admin/login", error="too_many", next=safe_next(next))
        if user is None:
            return back("/admin/login", error="bad", next=safe_next(next))
        # A fresh session (and CSRF token) on login: nothing chosen before login survives it.
        return console.set_session_cookie(back(safe_next(next)), request, console.tokens.session_cookie(
            user.id, epoch=user.session_epoch or 0))

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await console.check_csrf(request)
        try:
            staff = await run_in_threadpool(console.current_staff, request)
            await run_in_threadpool(console.revoke, staff)  # the saved cookie opens nothing any more
        except NotLoggedIn:
            pass
        response = back("/admin/login")
        response.delete_cookie(COOKIE, path="/admin", secure=console.cookie_is_secure(request), httponly=True,
                               samesite="lax")
        return response

    @router.get("/tickets", response_class=HTMLResponse)
    def tickets_page(request: Request, staff: Reader, status: str = "", mine: str = "") -> HTMLResponse:
        now = ctx.clock()
        with console.tx() as session:
            rows = inbox.list_tickets(session, staff, now, status=status or None, mine=bool(mine),
                                      settings=ctx.settings)
            names = inbox.staff_names(session, {r.ticket.assignee_id for r in rows if r.ticket.assignee_id})
            return console.render(request, "tickets.html", staff=staff, rows=rows, status=status, mine=mine,
                                  assignee_names=names)

    @router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
    def ticket_page(request: Request, ticket_id: int, staff: Reader, sent: str = "") -> HTMLResponse:
        now = ctx.clock()
        with console.tx() as session:
            detail = inbox.ticket_detail(session, staff, ticket_id, now, ctx.settings)
            # One-time token of this rendering of the reply form: submitting it twice sends the reply once.
            return console.render(request, "ticket.html", staff=staff, d=detail, canned=canned_replies(ctx.pack),
                                  reply_token=secrets.token_urlsafe(16),
                                  has_template=bool(ctx.settings.notice_template_id),
                                  sent=sent if sent in DELIVERY_LABELS else "",
                                  closing_soon=detail.window.closing_soon(now))

    @router.post("/tickets/{ticket_id}/reply")
    def ticket_reply(ticket_id: int, staff: Changer, text: Annotated[str, Form()],
                     reply_token: Annotated[str, Form(max_length=200)] = "") -> Response:
        sent = inbox.reply_once(console.tx, ctx.store, ctx.settings, staff, ticket_id, text, ctx.clock(),
                                reply_token)
        return back(f"/admin/tickets/{ticket_id}", sent=sent.kind)

    @router.post("/tickets/{ticket_id}/note")
    def ticket_note(ticket_id: int, staff: Changer, text: Annotated[str, Form()]) -> Response:
        with console.tx() as session:
            inbox.add_note(session, staff, ticket_id, text, ctx.clock())
        return back(f"/admin/tickets/{ticket_id}")

    @router.post("/tickets/{ticket_id}/status")
    def ticket_status(ticket_id: int, staff: Changer, status: Annotated[str, Form()]) -> Response:
        with console.tx() as session:
            inbox.set_status(session, staff, ticket_id, status, ctx.clock())
        return back(f"/admin/tickets/{ticket_id}")

    @router.post("/tickets/{ticket_id}/assign")
    def ticket_assign(ticket_id: int, staff: Changer, assignee: Annotated[str, Form()] = "") -> Response:
        if assignee and not (assignee.isascii() and assignee.isdigit() and len(assignee) <= 10
                             and int(assignee) <= 2**31 - 1):
            raise Denied(400, "无效的账号")
        with console.tx() as session:
            inbox.assign(session, staff, ticket_id, int(assignee) if assignee else None)
        return back(f"/admin/tickets/{ticket_id}")

    @router.get("/media/{log_id}")
    def media(log_id: int, staff: Reader) -> Response:
        """A farmer's voice (MP3 when it could be transcoded, else WeChat's AMR) or picture."""
        with console.tx() as session:
            found = admin_media.media_file(session, staff, ctx.store, ctx.wechat_api, log_id, ctx.clock())
        return Response(found.data, media_type=found.content_type,
                        headers={"Cache-Control": "private, max-age=86400",
                                 "Content-Disposition": f'inline; filename="{found.filename}"'})

    @router.get("/requests/{kind}", response_class=HTMLResponse)
    def requests_page(request: Request, kind: str, staff: Reader) -> HTMLResponse:
        filters = requests.RequestFilters.parse(dict(request.query_params))
        with console.tx() as session:
            rows = requests.list_requests(session, staff, kind, filters, ctx.settings.timezone)
            return console.render(request, "requests.html", staff=staff, kind=kind, rows=rows, filters=filters,
                                  centers=visible_centers(session, staff), names=requests.centers_by_id(session),
                                  columns=requests.KIND_COLUMNS[kind], export_query=urlencode(filters.query()))

    @router.get("/requests/{kind}/export.xlsx")
    def requests_export(request: Request, kind: str, staff: Reader) -> Response:
        filters = requests.RequestFilters.parse(dict(request.query_params))
        with console.tx() as session:
            rows = requests.list_requests(session, staff, kind, filters, ctx.settings.timezone, limit=None)
            body = requests.export_xlsx(kind, rows, requests.centers_by_id(session), ctx.settings.timezone)
            inbox.audit(session, staff, "export", kind, None, rows=len(rows), filters=filters.query())
        name = f"{kind}-{ctx.today().isoformat()}.xlsx"
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/requests/{kind}/{request_id}", response_class=HTMLResponse)
    def request_page(request: Request, kind: str, request_id: int, staff: Reader, sent: str = "") -> HTMLResponse:
        with console.tx() as session:
            row = request_for(session, staff, kind, request_id)
            return console.render(request, "request.html", staff=staff, kind=kind, r=row,
                                  center=requests.centers_by_id(session).get(row.center_id),
                                  columns=requests.KIND_COLUMNS[kind], events=requests.events_of(session, kind, row.id),
                                  next_statuses=requests.TRANSITIONS.get(row.status, ()),
                                  sent=sent if sent in DELIVERY_LABELS else "")

    @router.post("/requests/{kind}/{request_id}/status")
    def request_status(kind: str, request_id: int, staff: Changer, status: Annotated[str, Form()],
                       reason: Annotated[str, Form()] = "", scheduled_for: Annotated[str, Form()] = "",
                       price_yuan: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
        schedule = requests.Schedule.parse(scheduled_for, price_yuan.strip(), note)
        with console.tx() as session:
            delivery = requests.change_status(session, ctx.settings, staff, kind, request_id, status, reason,
                                              ctx.clock(), schedule)
        return back(f"/admin/requests/{kind}/{request_id}", sent=delivery.kind)

    @router.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(request: Request, staff: Reader, center: str = "") -> HTMLResponse:
        if center and not center.isdigit():
            raise Denied(400, "无效的服务中心")
        with console.tx() as session:
            board = build_dashboard(session, staff, ctx.pack, ctx.clock(), ctx.settings.timezone,
                                    center_id=int(center) if center else None)
            return console.render(request, "dashboard.html", staff=staff, b=board,
                                  centers=visible_centers(session, staff), center_id=int(center) if center else None,
                                  county=getattr(getattr(ctx.pack, "info", None), "county", ""))

    @router.get("/outbox", response_class=HTMLResponse)
    def outbox_page(request: Request, staff: Reader, resent: str = "") -> HTMLResponse:
        with console.tx() as session:
            rows = deadletters.dead_letters(session, staff)
            return console.render(request, "outbox.html", staff=staff, rows=rows, resent=resent)

    @router.post("/outbox/{outbox_id}/resend")
    def outbox_resend(outbox_id: int, staff: Changer) -> Response:
        with console.tx() as session:
            deadletters.resend(session, staff, outbox_id)
        return back("/admin/outbox", resent=str(outbox_id))

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, staff: Reader) -> HTMLResponse:
        require_admin(staff)
        with console.tx() as session:
            rows = session.execute(select(AuditLog, StaffUser.username).outerjoin(
                StaffUser, StaffUser.id == AuditLog.staff_id).order_by(AuditLog.id.desc()).limit(300)).all()
            names = inbox.staff_names(session, {a.staff_id for a, _ in rows if a.staff_id}
                                      | {a.detail.get("to") for a, _ in rows
                                         if a.action == "ticket_assign" and isinstance(a.detail.get("to"), int)})
            return console.render(request, "audit.html", staff=staff, rows=rows, names=names)

    return router


def visible_centers(session: Session, staff: Staff) -> list[ServiceCenter]:
    stmt = select(ServiceCenter).where(ServiceCenter.active.is_(True)).order_by(ServiceCenter.name)
    if not staff.sees_all_centers:
        stmt = stmt.where(ServiceCenter.id == staff.center_id)
    return list(session.scalars(stmt))


def request_was_https(request: Request) -> bool:
    """Whether the browser's request was https: the URL's scheme, or the nearest proxy's forwarded protocol."""
    if request.url.scheme == "https":
        return True
    forwarded_proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    forwarded = request.headers.get("forwarded", "").split(",")[0].lower().replace(" ", "")
    return forwarded_proto == "https" or "proto=https" in forwarded.split(";")


def safe_next(target: str) -> str:
    """Only redirect inside the console (no open redirect to another site)."""
    return target if target.startswith("/admin") and not target.startswith("//") and "\\" not in target \
        else "/admin/tickets"
