"""Dashboard figures: conversations, intents, ticket response times, requests, progress against plan targets."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.charts import Chart, Progress, columns, horizontal_bars, progress
from admin.policy import Staff, scoped
from admin.requests import KIND_LABELS
from bot.models import REQUEST_KINDS, Booking, MembershipApplication, MessageLog, ServiceCenter, Ticket

DAYS = 30
INTENT_LABELS = {"join_nonghelian": "加入农合联", "book_tuoguan": "托管预约", "loan_products": "贷款",
                 "bookkeeping": "财务代账", "find_service_center": "找服务中心", "human_agent": "转人工",
                 "check_status": "查进度", "policy_faq": "政策问答", "supplies": "农资", "sell_produce": "销售",
                 "greeting": "问候", "thanks_bye": "感谢/再见", "out_of_scope": "其他"}


def _count(session: Session, stmt: Any) -> float:
    return float(session.scalar(stmt) or 0)


# Plan target key (pack.targets[].key) → how the live figure is counted.
ACTUALS: dict[str, Callable[[Session], float]] = {
    "members": lambda s: _count(s, select(func.count(MembershipApplication.id))
                                .where(MembershipApplication.status != "rejected")),
    "tuoguan_mu": lambda s: _count(s, select(func.sum(Booking.area_mu)).where(Booking.status == "done")),
    "bookings": lambda s: _count(s, select(func.count(Booking.id)).where(Booking.status != "rejected")),
    # The network's points by kind: a 综合服务社 is not a 为农服务中心 (附件1 counts them apart).
    "centers": lambda s: _active_centers(s, "%为农服务中心"),
    "service_cooperatives": lambda s: _active_centers(s, "%综合服务社"),
}


def _active_centers(session: Session, kind_pattern: str) -> float:
    return _count(session, select(func.count(ServiceCenter.id))
                  .where(ServiceCenter.active.is_(True), ServiceCenter.kind.like(kind_pattern)))


@dataclass(frozen=True)
class Minutes:
    count: int
    average: float | None
    median: float | None


@dataclass(frozen=True)
class Dashboard:
    days: int
    conversations: Chart
    messages_total: int
    users_total: int
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


def build(session: Session, staff: Staff, pack: Any, now: datetime, tz: str) -> Dashboard:
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time(), zone)
    inbound = session.execute(select(MessageLog.openid, MessageLog.created_at).where(
        MessageLog.direction == "in", MessageLog.created_at >= since)).all()
    per_day: dict[date, set[str]] = {first_day + timedelta(days=i): set() for i in range(DAYS)}
    for openid, at in inbound:
        per_day.setdefault(at.astimezone(zone).date(), set()).add(openid)
    conversations = columns([(d.strftime("%m-%d"), len(users)) for d, users in sorted(per_day.items())])

    intents = session.execute(select(MessageLog.intent, func.count(MessageLog.id)).where(
        MessageLog.direction == "in", MessageLog.intent.is_not(None), MessageLog.created_at >= since)
        .group_by(MessageLog.intent)).all()
    intent_chart = horizontal_bars(sorted(((INTENT_LABELS.get(i, i), n) for i, n in intents), key=lambda p: -p[1]))

    tickets = session.execute(scoped(staff, Ticket, select(Ticket.status, Ticket.created_at,
                                                             Ticket.first_response_at, Ticket.resolved_at))).all()
    by_status = Counter(t.status for t in tickets)

    kinds: dict[str, int] = {}
    townships: Counter[str] = Counter()
    for kind, model in REQUEST_KINDS.items():
        rows = session.execute(scoped(staff, model, select(model.township, func.count(model.id)))
                               .group_by(model.township)).all()
        kinds[kind] = sum(n for _, n in rows)
        for township, n in rows:
            townships[township or "未填乡镇"] += n
    services = session.execute(scoped(staff, Booking, select(Booking.service, func.count(Booking.id)))
                               .group_by(Booking.service)).all()

    return Dashboard(
        days=DAYS, conversations=conversations, messages_total=len(inbound),
        users_total=len({openid for openid, _ in inbound}), intents=intent_chart,
        tickets_by_status={s: by_status.get(s, 0) for s in ("open", "pending", "resolved")},
        first_response=_minutes([(t.created_at, t.first_response_at) for t in tickets]),
        resolution=_minutes([(t.created_at, t.resolved_at) for t in tickets]),
        requests_by_kind={KIND_LABELS[k]: n for k, n in kinds.items()},
        by_township=horizontal_bars(townships.most_common(15)),
        by_service=horizontal_bars(sorted(((s or "未填服务", n) for s, n in services), key=lambda p: -p[1])[:15]),
        targets=target_progress(session, pack, today.year))


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
        actual = count(session) if count else None
        if actual is not None and target.unit.startswith("万"):  # e.g. 万亩次: live figures are counted in 亩
            actual = round(actual / 10000, 4)
        result.append(progress(target.indicator, target.unit, chosen, values[chosen], actual))
    return result
