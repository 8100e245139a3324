"""A fact the county office fills in the console reaches the farmer on WeChat, in every worker, without a restart."""
from __future__ import annotations

import time

import pytest

from bot.store.db import transaction
from bot.records.models import StaffUser
from bot.wechat.simclient import WechatSim
from tests.admin.conftest import PASSWORD, password_hash
from tests.e2e.conftest import AES, APPID, TOKEN

CENTER = "zx-001-center"   # 忠州街道为农服务中心, phone 待补充 in the shipped 忠县 pack
PHONE = "023-54221234"


def ask_until(farmer: WechatSim, text: str, wanted: str, seconds: float = 10.0) -> str:
    """The reply to `text`, asked again until it holds `wanted` (the other worker looks every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while True:
        reply = farmer.text(text).text
        if wanted in reply or time.monotonic() > deadline:
            return reply
        time.sleep(0.3)


@pytest.fixture
def two_workers(deployment):
    deployment.settings = deployment.settings.model_copy(update={"knowledge_refresh_seconds": 0.2})
    admin_ctx, admin_app = deployment.start()
    farmer_ctx, farmer_app = deployment.start()
    with transaction(admin_ctx.sessions) as s:
        s.add(StaffUser(username="county", password_hash=password_hash(), role="county_admin", display_name="王科长"))
    with admin_app as admin_http, farmer_app as farmer_http:
        yield admin_http, farmer_ctx, WechatSim(farmer_http, TOKEN, AES, APPID, openid="oE2eKnowledge01")


def test_a_phone_filled_in_by_the_county_office_replaces_the_placeholder_the_farmer_saw(deployment, two_workers):
    admin, farmer_ctx, farmer = two_workers
    question = "忠州街道服务中心电话是多少"
    before = farmer.text(question).text
    assert farmer_ctx.pack.center(CENTER).name in before
    assert PHONE not in before and "还在登记" in before     # the farmer is told it is not known yet

    token = admin.post("/admin/api/login", json={"username": "county", "password": PASSWORD}).json()["token"]
    answer = admin.patch(f"/admin/api/knowledge/centers/{CENTER}", json={"phone": PHONE},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text

    after = ask_until(farmer, question, PHONE)          # the other worker, not restarted
    assert f"电话：{PHONE}" in after, after
    assert farmer_ctx.pack.center(CENTER).phone == PHONE

    restarted, _ = deployment.start()                   # and a worker started later serves it from the start
    assert restarted.pack.center(CENTER).phone == PHONE


def test_a_service_alias_added_by_the_county_office_is_understood_by_the_other_worker(two_workers):
    admin, farmer_ctx, _ = two_workers
    words = "我家水稻要喷喷雾机"
    assert "service" not in farmer_ctx.nlu.parse(words).slots
    token = admin.post("/admin/api/login", json={"username": "county", "password": PASSWORD}).json()["token"]
    aliases = farmer_ctx.pack.service("统防统治").aliases
    answer = admin.patch("/admin/api/knowledge/services/统防统治", json={"aliases": [*aliases, "喷喷雾机"]},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 10
    while farmer_ctx.knowledge.version < answer.json()["pack_version"] and time.monotonic() < deadline:
        time.sleep(0.05)
    knowledge = farmer_ctx.knowledge      # the pack and the NLU built from it, swapped together
    assert knowledge.pack.service("喷喷雾机").name == "统防统治"
    assert knowledge.nlu.parse(words).slots["service"] == "统防统治"
