"""Dashboard figures: conversations, intents, ticket response times, requests, progress against plan targets."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from admin.charts import CARD_WIDTH, WIDE_WIDTH, Chart, Progress, columns, horizontal_bars, progress
from admin.policy import Staff, scoped
from admin.requests import KIND_LABELS
from bot.records.models import REQUEST_KINDS, Booking, MembershipApplication, MessageLog, ServiceCenter, Ticket, WechatUser

DAYS = 30
INTENT_LABELS = {"join_nonghelian": "加入农合联", "book_tuoguan": "托管预约", "loan_products": "贷款",
                 "bookkeeping": "财务代账", "find_service_center": "找服务中心", "human_agent": "转人工",
                 "check_status": "查进度", "policy_faq": "政策问答", "supplies": "农资", "sell_produce": "销售",
                 "greeting": "问候", "thanks_bye": "感谢/再见", "out_of_scope": "其他问题",
                 # what the dialog logs besides intents
                 "welcome": "关注/扫码欢迎", "menu": "菜单", "cancel": "取消办理", "clarify": "追问澄清",
                 "offer_person": "建议转人工", "voice_unrecognized": "语音未识别", "media": "图片/语音",
                 "withdraw": "撤回申请"}
OTHER = "其他"


def intent_label(intent: str | None) -> str:
    """Every label Chinese: an intent or dialog step the console has no name for counts as 其他."""
    return INTENT_LABELS.get(intent or "", OTHER)


def _count(session: Session, stmt: Any) -> float:
    return float(session.scalar(stmt) or 0)


# Plan target key (pack.targets[].key) → how the live figure is counted (from the database and the served pack).
ACTUALS: dict[str, Callable[[Session, Any], float]] = {
    "members": lambda s, p: _count(s, select(func.count(MembershipApplication.id))
                                   .where(MembershipApplication.status != "rejected")),
    "tuoguan_mu": lambda s, p: _count(s, select(func.sum(Booking.area_mu)).where(Booking.status == "done")),
    "bookings": lambda s, p: _count(s, select(func.count(Booking.id)).where(Booking.status != "rejected")),
    # The network's points by kind: a 综合服务社 is not a 为农服务中心 (附件1 counts them apart).
    "centers": lambda s, p: _built_centers(s, p, "%为农服务中心"),
    "service_cooperatives": lambda s, p: _built_centers(s, p, "%综合服务社"),
}


def _built_centers(session: Session, pack: Any, kind_pattern: str) -> float:
    """Service points that exist: a center the pack marks planned (the document's plan, 忠县's 10 为农服务中心) or
    a planned network (its planned_count) is a target, never counted as built."""
    planned = [c.code for c in getattr(pack, "centers", None) or []
               if getattr(c, "status", "existing") == "planned" or getattr(c, "planned_count", None)]
    stmt = select(func.count(ServiceCenter.id)).where(ServiceCenter.active.is_(True),
                                                      ServiceCenter.kind.like(kind_pattern))
    if planned:
        stmt = stmt.where(ServiceCenter.code.not_in(planned))
    return _count(session, stmt)


@dataclass(frozen=True)
class Minutes:
    count: int
    average: float | None
    median: float | None


@dataclass(frozen=True)
class Dashboard:
    days: int
    conversations: Chart
    conversations_narrow: Chart
    conversations_total: int  # a farmer's messages on one day are one conversation
    users_total: int
    center_name: str | None   # the center the figures are limited to, None for the whole county
    intents: Chart
    tickets_by_status: dict[str, int]
    first_response: Minutes
    resolution: Minutes
    requests_by_kind: dict[str, int]
    by_township: Chart
    by_service: Chart
    targets: list[Progress]


def _minutes(pairs: list[tuple[datetime, datetime | None]]) -> Minutes:
    spans = [(end - start).total_seconds() / 60 for start, end in pairs if end is not None]
    if not spans:
        return Minutes(0, None, None)
    return Minutes(len(spans), round(sum(spans) / len(spans), 1), round(median(spans), 1))


def center_openids(center_id: int) -> Any:
    """The farmers of a center: bound to it, or with a ticket or request routed to it."""
    parts = [select(WechatUser.openid).where(WechatUser.center_id == center_id),
             select(Ticket.openid).where(Ticket.center_id == center_id)]
    parts += [select(model.openid).where(model.center_id == center_id) for model in REQUEST_KINDS.values()]
    return union(*parts).subquery()


def build(session: Session, staff: Staff, pack: Any, now: datetime, tz: str,
          center_id: int | None = None) -> Dashboard:
    """The figures the caller may see: center staff their own center's only; the county admin and viewers
    the county's, or one center's when `center_id` is chosen."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time(), zone)
    center = center_id if staff.sees_all_centers else staff.center_id
    limited = center is not None or not staff.sees_all_centers

    def within(model: Any, stmt: Any) -> Any:
        stmt = scoped(staff, model, stmt)
        return stmt.where(model.center_id == center) if center is not None else stmt

    inbound_stmt = select(MessageLog.openid, MessageLog.created_at, MessageLog.intent).where(
        MessageLog.direction == "in", MessageLog.created_at >= since)
    if limited:
        inbound_stmt = inbound_stmt.where(MessageLog.openid.in_(select(center_openids(center or -1).c.openid)))
    inbound = session.execute(inbound_stmt).all()
    per_day: dict[date, set[str]] = {first_day + timedelta(days=i): set() for i in range(DAYS)}
    asked: set[tuple[str, date, str]] = set()
    for openid, at, intent in inbound:
        day = at.astimezone(zone).date()
        per_day.setdefault(day, set()).add(openid)
        if intent:
            asked.add((openid, day, intent_label(intent)))  # one conversation asking twice counts once
    days = [(f"{d.month}月{d.day}日", len(users)) for d, users in sorted(per_day.items())]
    conversations = columns(days, width=WIDE_WIDTH)
    conversations_narrow = columns(days, every=7, width=CARD_WIDTH)  # the same days, drawn for a phone
    intent_counts = Counter(label for _, _, label in asked)
    intent_chart = horizontal_bars(sorted(intent_counts.items(), key=lambda p: -p[1]))

    tickets = session.execute(within(Ticket, select(Ticket.status, Ticket.created_at, Ticket.first_response_at,
                                                    Ticket.resolved_at))).all()
    by_status = Counter(t.status for t in tickets)

    kinds: dict[str, int] = {}
    townships: Counter[str] = Counter()
    for kind, model in REQUEST_KINDS.items():
        rows = session.execute(within(model, select(model.township, func.count(model.id)))
                               .group_by(model.township)).all()
        kinds[kind] = sum(n for _, n in rows)
        for township, n in rows:
            townships[township or "未填乡镇"] += n
    services = session.execute(within(Booking, select(Booking.service, func.count(Booking.id)))
                               .group_by(Booking.service)).all()
    center_name = session.scalar(select(ServiceCenter.name).where(ServiceCenter.id == center)) if center else None

    return Dashboard(
        days=DAYS, conversations=conversations, conversations_narrow=conversations_narrow, conversations_total=sum(len(u) for u in per_day.values()),
        users_total=len({openid for openid, _, _ in inbound}), center_name=center_name, intents=intent_chart,
        tickets_by_status={s: by_status.get(s, 0) for s in ("open", "pending", "resolved")},
        first_response=_minutes([(t.created_at, t.first_response_at) for t in tickets]),
        resolution=_minutes([(t.created_at, t.resolved_at) for t in tickets]),
        requests_by_kind={KIND_LABELS[k]: n for k, n in kinds.items()},
        by_township=horizontal_bars(townships.most_common(15)),
        by_service=horizontal_bars(sorted(((s or "未填服务", n) for s, n in services), key=lambda p: -p[1])[:15]),
        # The plan's targets are the county's: beside county-wide figures only.
        targets=[] if limited else target_progress(session, pack, today.year))


def target_progress(session: Session, pack: Any, year: int) -> list[Progress]:
    """Each plan target for this year (or the next year that has one) beside the live figure, if counted."""
    result = []
    for target in getattr(pack, "targets", None) or []:
        values = {str(k): v for k, v in (target.values or {}).items()}
        if not values:
            continue
        years = sorted(y for y in values if y.isdigit())
        later = [y for y in years if y >= str(year)]
        # The plan's cumulative target when it gives one, else this year's (or the next planned year's).
        chosen = "total" if "total" in values else (later[0] if later else (years or sorted(values))[-1])
        count = ACTUALS.get(target.key or "")
        actual = count(session, pack) if count else None
        if actual is not None and target.unit.startswith("万"):  # e.g. 万亩次: live figures are counted in 亩
            actual = round(actual / 10000, 4)
        result.append(progress(target.indicator, target.unit, chosen, values[chosen], actual))
    return result
