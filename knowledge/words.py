"""How a pack speaks in replies: the account's name, the intents it offers in its menu, its example words."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from knowledge.loader import Pack
from knowledge.needs import offered

# The menu's numbers are fixed (handlers.MENU_CHOICES); a pack shows only the intents it offers.
MENU: tuple[tuple[str, str], ...] = (("1", "join_nonghelian"), ("2", "book_tuoguan"), ("3", "loan_products"),
                                    ("4", "bookkeeping"), ("5", "find_service_center"), ("6", "check_status"),
                                    ("7", "human_agent"))
@dataclass(frozen=True)
class PackWords:
    county: str
    bot_name: str                 # 忠县农合联助手; 丰都县为农服务助手 …
    join_name: str                # what joining means here: 农合联, 农民合作社, 合作社服务中心签约服务 …
    join_label: str               # the menu's words for it: 加入农合联, 加入农民专业合作社
    offers: frozenset[str]        # intent labels offered
    menu: tuple[tuple[str, str], ...]   # (number, intent) offered, in menu order
    township: str                 # an example township as farmers say it: 石宝
    township_full: str            # its official name: 石宝镇
    org_name: str                 # an example organisation name
    request: str                  # an example request in one message
    has_join: bool
    tuoguan_label: str = "预约农业生产托管"   # the menu's words for book_tuoguan
    tuoguan_title: str = "托管预约"          # the form's name
    tuoguan_note: str = ""                   # pack's own words on what a booking is, when it is only a request
    crop: str = ""                # an example crop of the pack
    service: str = ""             # an example 托管 service of the pack
    tuoguan_request: str = ""     # an example 托管 request: the pack's own when one names a 托管 service

    def offered(self, intent: str) -> bool:
        return intent in self.offers

    def example(self, value: str | None) -> str | None:
        """A form's example as this county says it: `@township`, `@org_name`, `@crop`, `@service` are the
        pack's own (a form declares the kind of example, never 忠县's 石宝)."""
        if not value or not value.startswith("@"):
            return value
        return getattr(self, value[1:], None) or None


@lru_cache(maxsize=32)
def pack_words(pack: Pack) -> PackWords:
    info, ex = pack.info, pack.info.examples
    offers = frozenset(offered(pack))
    full = next((t.name for t in pack.townships if ex.township and (ex.township == t.name or ex.township in t.aliases)),
                None)
    first = pack.townships[0] if pack.townships else None
    township = ex.township or (first.aliases[0] if first and first.aliases else first.name if first else "")
    full = full or (first.name if first else township)
    join_name = info.join.name if info.join else "农合联"
    join_label = join_name if join_name.startswith(("加入", "申请", "签约", "入社", "入会")) else f"加入{join_name}"
    join_name = join_name.removeprefix("加入").split("（")[0]
    if ex.requests:
        request = ex.requests[0]
    elif pack.crops and pack.services:
        request = f"{full}20亩{pack.crops[0].name}{pack.services[0].name}"
    else:
        request = "转人工"
    org = ex.org_name or f"{info.county}某某专业合作社"
    bot_name = info.bot_name or f"{info.county}为农服务助手"
    menu = tuple((n, intent) for n, intent in MENU if intent in offers)
    crop = pack.crops[0].name if pack.crops else ""
    service = next((s.name for s in pack.services if s.role_name == "tuoguan" and s.scope != "全程"), "")
    tuoguan = info.tuoguan
    labels = (f"预约{tuoguan.name}", f"{tuoguan.name}预约", tuoguan.description.strip()) if tuoguan else ()
    words = ["托管", *(w for s in pack.services if s.role_name == "tuoguan" for w in (s.name, *s.aliases))]
    tuoguan_request = next((r for r in ex.requests if any(w in r for w in words)),
                           f"{full}20亩{crop}{service}" if crop and service else request)
    return PackWords(info.county, bot_name, join_name, join_label, offers, menu, township, full, org, request,
                     "join_nonghelian" in offers, *labels, crop=crop, service=service, tuoguan_request=tuoguan_request)
