"""Each county's pack, every flow it offers, driven through POST /wechat to its record (or its referral).

The farmer is the seeded simulator's (tests/farmer_sim.py), facts drawn from the pack itself (its townships,
crops, 托管 services, products) and speaking the county's words (what joining means there): nothing here is a
hard-coded answer for one county. A pack that offered a form it cannot take to a record fails here.
"""
from __future__ import annotations

import random

import pytest

from bot.wechat.simclient import WechatSim
from knowledge import load_pack
from knowledge.needs import offered
from knowledge.routing import center_roles
from knowledge.words import pack_words
from tests.e2e.conftest import AES, APPID, TOKEN
from tests.farmer_sim import MAX_TURNS, make_farmer

PACKS = ("zhongxian", "fengdu", "jiangjin", "liaocheng", "nanchuan")
TASKS = {"book_tuoguan": "bookings", "join_nonghelian": "members", "loan_products": "loan_requests",
         "bookkeeping": "bookkeeping_requests", "human_agent": "tickets"}
FORM_CASES = [(name, intent) for name in PACKS for intent in offered(load_pack(name)) if intent in TASKS]
# role, what a farmer says, the word of the menu option that means it (when the bot asks "您是想…")
REFERRALS = {"supplies": ("supplies", "想买点化肥农药", "农资"), "sell_produce": ("marketing", "我家{crop}想卖出去", "卖")}
REFERRAL_CASES = [(name, intent) for name in PACKS for intent in offered(load_pack(name)) if intent in REFERRALS]


@pytest.fixture
def county_phone(deployment):
    def start(name: str) -> WechatSim:
        deployment.settings = deployment.settings.model_copy(update={"knowledge": name})
        ctx, client = deployment.start()
        http = client.__enter__()
        sim = WechatSim(http, TOKEN, AES, APPID, openid=f"oE2eCounty{name}")
        sim.ctx, sim.client = ctx, client
        return sim
    started: list[WechatSim] = []
    yield lambda name: started.append(start(name)) or started[-1]
    for sim in started:
        sim.client.__exit__(None, None, None)


def _farmer(name: str, intent: str, seed: int):
    pack = load_pack(name)
    task = TASKS[intent]
    farmer = make_farmer(pack, name, random.Random(seed), task="members" if task == "tickets" else task,
                         quirk="person" if task == "tickets" else "plain")
    if task == "members":   # what joining means in this county (农合联, 农民合作社, 签约服务 …), in its words
        farmer.opening = f"我想{pack_words(pack).join_label}"
    return farmer


def task_goes_to_a_network(pack, intent: str) -> bool:
    """True when no single site plays the form's role (the document names only planned networks for it)."""
    from knowledge.needs import NEEDS
    roles = {n.what.split("`")[1] for n in NEEDS.get(intent, ()) if "role `" in n.what}
    return not any(c.planned_count is None and roles & center_roles(pack, c) for c in pack.centers)


def _drive(phone: WechatSim, farmer) -> list[tuple[str, str]]:
    transcript, message = [], farmer.opening
    for _ in range(MAX_TURNS):
        if message is None:
            break
        if isinstance(message, tuple) and message[0] == "location":
            reply = phone.location(message[1], message[2]).text
        elif isinstance(message, tuple):
            reply = phone.voice(None).text
        else:
            reply = phone.text(message).text
        transcript.append((str(message), reply))
        message = farmer.answer(reply)
    return transcript


@pytest.mark.parametrize("name,intent", FORM_CASES, ids=[f"{n}-{i}" for n, i in FORM_CASES])
def test_every_offered_form_ends_in_its_record(county_phone, deployment, name, intent):
    phone = county_phone(name)
    farmer = _farmer(name, intent, seed=sum(map(ord, name + intent)))
    transcript = _drive(phone, farmer)
    shown = "\n".join(f"> {m}\n{r}" for m, r in transcript)
    rows = deployment.export(farmer.task)
    assert len(rows) == 1, shown
    (row,) = rows
    for field, value in farmer.facts.items():
        got = row.get(field)
        assert got == value or (isinstance(value, (int, float)) and float(got or 0) == float(value)), \
            (field, got, value, shown)
    others = {t.name for t in load_pack("zhongxian").townships} - {t.name for t in phone.ctx.pack.townships}
    assert not any(t in r for _, r in transcript for t in others if len(t) > 2), shown   # no 忠县 example shown
    assert row.get("center"), shown
    (center,) = [c for c in phone.ctx.pack.centers if c.name == row["center"]]
    assert center.planned_count is None or task_goes_to_a_network(phone.ctx.pack, intent), shown


@pytest.mark.parametrize("name,intent", REFERRAL_CASES, ids=[f"{n}-{i}" for n, i in REFERRAL_CASES])
def test_every_offered_referral_names_a_center_playing_its_role(county_phone, name, intent):
    phone = county_phone(name)
    pack = phone.ctx.pack
    role, words, option = REFERRALS[intent]
    township = pack.townships[len(pack.townships) // 2]
    crop = pack.crops[0].name if pack.crops else "粮食"
    reply = phone.text(f"我是{township.name}的，" + words.format(crop=crop)).text
    if "您是想" in reply:   # a clarifying question is a fair step: the farmer picks the option that means it
        number = next(line.split()[0] for line in reply.splitlines() if option in line and line[:1].isdigit())
        reply = phone.text(number).text
    playing = [c.name for c in pack.centers if role in center_roles(pack, c)]
    programmes = [g.name for g in pack.programmes if g.role == role]
    assert any(n in reply for n in playing + programmes), reply


# What a farmer says to ask for each form, in words any county's farmer uses.
ASKS = {"book_tuoguan": "我家{crop}要打药，20亩", "bookkeeping": "我们合作社想找人代账", "loan_products": "我想贷款",
        "join_nonghelian": "我想入社"}
TITLES = {"book_tuoguan": "托管", "bookkeeping": "代账", "loan_products": "贷款", "join_nonghelian": "入社"}
NOT_OFFERED = [(name, intent) for name in PACKS for intent in ASKS if intent not in offered(load_pack(name))]


@pytest.mark.parametrize("name,intent", NOT_OFFERED, ids=[f"{n}-{i}" for n, i in NOT_OFFERED])
def test_a_form_the_county_does_not_offer_is_said_plainly_and_promises_nothing(county_phone, deployment, name, intent):
    # Not in the menu; asked for anyway, it is either refused (no data to ask with) or taken as a request for
    # staff to answer, said plainly to be unlisted in the document. Nothing is recorded before the farmer confirms.
    phone = county_phone(name)
    pack = phone.ctx.pack
    crop = pack.crops[0].name if pack.crops else "水稻"
    reply = phone.text(ASKS[intent].format(crop=crop)).text
    assert pack.info.county in reply and ("办不了" in reply or ("没有写" in reply and "待补充" in reply)), reply
    assert "回复数字：\n" not in reply + "\n" and "要做哪项服务" not in reply, reply
    menu = phone.text("你好").text
    assert TITLES[intent] not in menu.split("\n\n")[0], menu   # the menu itself (a resume line may follow)
    assert deployment.export(TASKS[intent]) == []


# 南川's document names 农业社会化服务 but no operation, team or price: a booking is a request its 区农民合作社服务中心's
# staff answer. A farmer says his special crop and the work in his own words; the record carries the canonical ones.
NANCHUAN_BOOKINGS = [("我是大观的，方竹笋要打药，20亩", "笋竹", "统防统治"),
                     ("南川米要找人机收，30亩，我在大观", "水稻", "机收")]


@pytest.mark.parametrize("opening,crop,service", NANCHUAN_BOOKINGS, ids=["笋竹-打药", "水稻-机收"])
def test_nanchuan_books_social_service_as_a_request_to_the_center(county_phone, deployment, opening, crop, service):
    phone = county_phone("nanchuan")
    pack = phone.ctx.pack
    menu = phone.text("你好").text
    assert "预约农业社会化服务" in menu and "农业生产托管" not in menu, menu
    replies, reply = [], phone.text(opening).text
    for _ in range(8):
        replies.append(reply)
        if "确认提交" in reply:
            summary = reply
            reply = phone.text("1").text
            replies.append(reply)
            break
        if "手机号" in reply:
            reply = phone.text("13912345678").text
        elif "哪天" in reply:
            reply = phone.text("越快越好").text
        elif "乡镇" in reply:
            reply = phone.text("大观").text
        else:
            reply = phone.text("不知道").text
    shown = "\n---\n".join(replies)
    assert "确认提交" in shown, shown
    assert "待补充" in summary and "参考价" not in summary, summary
    center = next(c for c in pack.centers if "tuoguan" in center_roles(pack, c))
    done = replies[-1]
    assert "已记下" in done and center.name in done and "确认时间和价格" not in done, done
    (row,) = deployment.export("bookings")
    assert (row["crop"], row["service"], row["phone"], row["center"]) == (crop, service, "13912345678", center.name)
    assert row["township"] == "大观镇"
