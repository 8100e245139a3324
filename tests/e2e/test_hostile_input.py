"""Hostile input is answered 4xx (or the normal reply), never 5xx: one test per class the black-box test
found, on SQLite with the embedded store and on PostgreSQL with Redis, and a seeded fuzzer over them."""
from __future__ import annotations

import random
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.app import build_context, create_app
from bot.wechat.simclient import WechatSim, render_callback
from bot.wechat.protocol import sign
from tests.admin.conftest import PASSWORD, seed

AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
TOKEN, APPID = "hostile-token", "wxhostile0123456"


@pytest.fixture
def site(make_settings, database_url, request):
    """(client, world): the whole app in compatible mode (plaintext and encrypted callbacks), with the
    console's seeded staff, tickets and bookings; on PostgreSQL the store is Redis."""
    settings = make_settings(database_url=database_url, wechat_token=TOKEN, wechat_aes_key=AES, wechat_appid=APPID,
                             wechat_mode="compat", deliver_in_process=False)
    ctx = build_context(settings)
    if database_url.startswith("postgresql"):
        from bot.store.redis import RedisStore

        ctx.store = RedisStore.from_url(request.getfixturevalue("redis_url"), prefix=f"hostile:{uuid.uuid4().hex[:8]}:")
    world = seed(ctx, ctx.clock())
    try:
        with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as http:
            yield http, world
    finally:
        if hasattr(ctx.store, "clear_prefix"):
            ctx.store.clear_prefix()
        ctx.engine.dispose()  # each test's app has its own pool: give its connections back


def fresh(mode: str = "plain") -> dict[str, str]:
    ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    return {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def sim(http, mode: str = "plain", openid: str = "oHostileFarmer01") -> WechatSim:
    return WechatSim(http, TOKEN, AES, APPID, openid=openid, mode=mode)


def post_raw(http, body: bytes | str, params: dict[str, str] | None = None):
    data = body.encode("utf-8") if isinstance(body, str) else body
    return http.post("/wechat", params=params or fresh(), content=data, headers={"Content-Type": "text/xml"})


def token_for(http, username: str = "county") -> dict[str, str]:
    answer = http.post("/admin/api/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def assert_refused(answer, *statuses: int) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:200])
    if statuses:
        assert answer.status_code in statuses, (answer.status_code, answer.text[:200])


# ---- the webhook --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value", [("signature", "é" * 40), ("signature", "１" * 40),
                                         ("signature", "g" * 40), ("msg_signature", "ü" * 40)])
def test_a_non_ascii_signature_is_refused(site, name, value):
    http, _ = site
    phone = sim(http, "aes")
    body, params = phone.envelope(render_callback(phone.fields("text", Content="你好")), fresh())
    assert_refused(http.post("/wechat", params={**params, name: value}, content=body), 400, 403)
    assert_refused(http.get("/wechat", params={**fresh(), "signature": value, "echostr": "1"}), 400, 403)


@pytest.mark.parametrize("timestamp", ["²", "٣" * 10, "1" * 5000, "-1", "1e9", "+1700000000"])
def test_a_timestamp_that_is_not_plain_digits_is_refused(site, timestamp):
    http, _ = site
    nonce = "123"
    params = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    phone = sim(http)
    assert_refused(post_raw(http, render_callback(phone.fields("text", Content="你好")), params), 403)
    assert_refused(http.get("/wechat", params={**params, "echostr": "1"}), 403)
    assert_refused(post_raw(http, render_callback(phone.fields("text", Content="你好", CreateTime=timestamp))), 400)


@pytest.mark.parametrize("content", [
    "<Content><b>x</b></Content>",
    '<Content><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/></Content>',
    "<FromUserName><a>oX</a></FromUserName><Content>你好</Content>",
    "<MsgId><n>1</n></MsgId><Content>你好</Content>",
])
def test_a_field_with_child_elements_is_refused(site, content):
    http, _ = site
    xml = ("<xml><ToUserName>gh_x</ToUserName><FromUserName>oHostileFarmer01</FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType><MsgId>42</MsgId>{content}</xml>")
    assert_refused(post_raw(http, xml), 400)
    phone = sim(http, "aes")
    body, params = phone.envelope(xml, fresh())
    assert_refused(http.post("/wechat", params=params, content=body), 400)


@pytest.mark.parametrize("field, value", [("FromUserName", "o" * 65), ("FromUserName", "o" * 5000),
                                          ("MsgId", "9" * 33), ("MsgId", "12ab"), ("MediaId", "m" * 201),
                                          ("MsgType", "t" * 31), ("Location_X", "nan"), ("Location_X", "1e999")])
def test_fields_longer_than_their_columns_or_out_of_range_are_refused(site, field, value):
    http, _ = site
    phone = sim(http, "aes")
    kind = {"MediaId": "image", "Location_X": "location"}.get(field, "text")
    extra = {"image": {"PicUrl": "http://x/1.jpg", "MediaId": "m1"},
             "location": {"Location_X": 30.3, "Location_Y": 108.0, "Scale": 15, "Label": ""}}.get(kind, {"Content": "你好"})
    fields = phone.fields(kind, **extra)
    fields[field] = value
    if field == "MsgType":
        fields["MsgType"] = value
    answer = phone.post(fields)
    assert answer.status == 400, answer


def test_the_longest_valid_fields_are_answered(site):
    http, _ = site
    phone = sim(http, "aes", openid="o" * 64)
    fields = phone.fields("image", PicUrl="http://x/1.jpg", MediaId="m" * 200)
    fields["MsgId"] = "9" * 32
    assert phone.post(fields).status == 200
    text = phone.fields("text", Content="转人工")  # a ticket, keyed by openid and MsgId
    text["MsgId"] = "9" * 31
    answer = phone.post(text)
    assert answer.status == 200 and "开了个小差" not in (answer.text or ""), answer.text


# ---- JSON bodies ----------------------------------------------------------------------------------------
HOSTILE_JSON = [b'{"text": 1e999}', b'{"text": "\\ud800"}', b'{"text": "a\\u0000b"}', b'{"text": "\\udc00x"}',
                b'{"text": NaN}', b'{"text": Infinity}', b'{"text": -1e999}', b'{"text": ' + b"9" * 5000 + b"}",
                b'{"text": "ok", "\\ud800": 1}', b"\xff\xfe{", b'{"text": "' + b"\xed\xa0\x80" + b'"}',
                b"[" * 5000, b'{"text": [1e999]}']


@pytest.mark.parametrize("body", HOSTILE_JSON)
def test_nlu_parse_refuses_hostile_json_with_a_422_that_itself_works(site, body):
    http, _ = site
    answer = http.post("/api/nlu/parse", content=body, headers={"Content-Type": "application/json"})
    assert_refused(answer, 400, 422)
    assert isinstance(answer.json()["detail"], (str, list))


def test_nlu_parse_still_answers_a_farmer_with_emoji(site):
    http, _ = site
    answer = http.post("/api/nlu/parse", content='{"text": "托管五十亩水稻\\ud83c\\udf3e"}'.encode(),
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json()["intent"]["name"] == "book_tuoguan"


@pytest.mark.parametrize("body", [b'{"username": 1e999, "password": "x"}', b'{"username": "\\ud800", "password": "x"}',
                                  b'{"username": "county\\u0000", "password": "x"}',
                                  b'{"username": "county", "password": "\\u0000"}', b'{"username": ["a"]}'])
def test_login_refuses_hostile_json(site, body):
    http, _ = site
    answer = http.post("/admin/api/login", content=body, headers={"Content-Type": "application/json"})
    assert_refused(answer, 400, 422)
    answer.json()


def test_the_login_form_refuses_a_nul(site):
    http, _ = site
    answer = http.post("/admin/login", content=b"username=county%00&password=x&csrf_token=t",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_refused(answer, 400)


# ---- the console's URLs and filters ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/api/tickets/2147483648", "/admin/api/tickets/99999999999999999999999",
                                  "/admin/api/requests/bookings/9223372036854775808", "/admin/tickets/2147483648",
                                  "/admin/requests/bookings/" + "9" * 400, "/admin/api/tickets/-1"])
def test_ids_beyond_the_integer_range_are_not_found(site, path):
    http, _ = site
    headers = token_for(http)
    assert_refused(http.get(path, headers=headers), 404, 422)
    assert_refused(http.post(path + "/reply", json={"text": "你好"}, headers=headers), 404, 405, 422)
    assert_refused(http.post(path + "/status", json={"status": "done"}, headers=headers), 400, 404, 405, 422)


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_to=0001-01-01",
                                   "center=²", "center=99999999999999", "center=-1", "status=%00",
                                   "township=%00", "township=%ED%A0%80", "date_from=２０２６-01-01"])
def test_filter_values_are_refused_or_answered(site, query):
    http, _ = site
    headers = token_for(http)
    assert_refused(http.get(f"/admin/api/requests/bookings?{query}", headers=headers), 200, 400)
    assert_refused(http.get(f"/admin/requests/bookings?{query}", headers=headers), 200, 400)


@pytest.mark.parametrize("text", ["\ud800", "a\x00b", "\udfff回复"])
def test_a_staff_reply_with_a_lone_surrogate_or_nul_is_refused(site, text):
    import json

    http, world = site
    headers = token_for(http)
    body = json.dumps({"text": text}).encode()  # ensure_ascii: the surrogate as \\ud800, as a client sends it
    answer = http.post(f"/admin/api/tickets/{world.ticket_a}/reply", content=body,
                       headers={**headers, "Content-Type": "application/json"})
    assert_refused(answer, 400, 422)
    note = http.post(f"/admin/api/tickets/{world.ticket_a}/reply", json={"text": "好的，马上联系您"}, headers=headers)
    assert note.status_code == 200, note.text


# ---- a seeded fuzzer ------------------------------------------------------------------------------------
HOSTILE_VALUES = ["²", "1" * 5000, "\x00", "é" * 40, "o" * 300, "<b>x</b>", "]]>", "-1", "1e999", "nan", "",
                  "9" * 30, "%00", "\U0001f33e" * 10, "&amp;", "２", " "]


def _mutated_callback(rng: random.Random, http) -> tuple[str, dict[str, str], bytes]:
    mode = rng.choice(["plain", "aes", "compat"])
    phone = sim(http, mode, openid=rng.choice(["oFuzz01", "oFuzz02", "o" * 64]))
    kind = rng.choice(["text", "image", "voice", "location", "event"])
    extra = {"text": {"Content": rng.choice(["你好", "托管五十亩水稻", "转人工", "查进度"])},
             "image": {"PicUrl": "http://x/1.jpg", "MediaId": "m1"},
             "voice": {"MediaId": "v1", "Format": "amr", "Recognition": "我要贷款"},
             "location": {"Location_X": 30.3, "Location_Y": 108.0, "Scale": 15, "Label": "忠县"},
             "event": {"Event": rng.choice(["subscribe", "CLICK", "LOCATION", "VIEW", "unknown"]), "EventKey": "k",
                       "Latitude": "30.1", "Longitude": "108.1"}}[kind]
    fields = phone.fields(kind, **extra)
    for _ in range(rng.randint(0, 2)):
        fields[rng.choice(list(fields) + ["Content", "MsgId", "CreateTime", "Encrypt"])] = rng.choice(HOSTILE_VALUES)
    xml = render_callback(fields)
    if rng.random() < 0.2:
        at = rng.randrange(len(xml))
        xml = xml[:at] + rng.choice(["<", ">", "&", "<b>", "</Content>", "\x00", "<!DOCTYPE x>"]) + xml[at:]
    body, params = phone.envelope(xml, fresh())
    if rng.random() < 0.3:
        params[rng.choice(["signature", "timestamp", "nonce", "msg_signature", "encrypt_type"])] = \
            rng.choice(HOSTILE_VALUES)
    if rng.random() < 0.1:
        body = body[: rng.randrange(len(body) + 1)]
    return "POST", params, body


def test_a_seeded_fuzzer_finds_no_5xx(site):
    http, world = site
    rng = random.Random(16)
    headers = token_for(http)
    failures = []
    for i in range(300):
        roll = rng.random()
        if roll < 0.6:
            _, params, body = _mutated_callback(rng, http)
            answer = http.post("/wechat", params=params, content=body, headers={"Content-Type": "text/xml"})
        elif roll < 0.7:
            answer = http.post("/api/nlu/parse", content=rng.choice(HOSTILE_JSON),
                               headers={"Content-Type": "application/json"})
        elif roll < 0.8:
            value = rng.choice(HOSTILE_VALUES)
            answer = http.get("/admin/api/requests/bookings",
                              params={rng.choice(["center", "date_to", "date_from", "status", "township"]): value},
                              headers=headers)
        elif roll < 0.9:
            ident = rng.choice([str(world.ticket_a), "2147483648", "9" * 40, "0", "²"])
            answer = http.post(f"/admin/api/tickets/{ident}/reply", headers=headers,
                               json={"text": rng.choice(HOSTILE_VALUES + ["好的"]) or "x"})
        else:
            answer = http.get("/wechat", params={**fresh(), rng.choice(["signature", "timestamp", "nonce", "echostr"]):
                                                 rng.choice(HOSTILE_VALUES)})
        if answer.status_code >= 500:
            failures.append((i, answer.request.method, str(answer.request.url)[:120], answer.status_code))
    assert not failures, failures[:10]
