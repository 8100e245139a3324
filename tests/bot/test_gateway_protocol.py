"""The /wechat webhook speaks WeChat's protocol: verification, signatures, modes, types, hostile input."""
from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from bot.records.models import MessageLog, OutboxMessage
from bot.wechat.simclient import render_callback
from bot.wechat.protocol import sign
from tests.bot.conftest import TOKEN, sim_for

MODES = ["plain", "aes", "compat"]
TRACE = (b"Traceback", b'File "/', b"site-packages")


def signed(ts: int | None = None, nonce: str = "1234567890") -> dict[str, str]:
    ts = str(ts if ts is not None else int(time.time()))
    return {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def log_count(ctx) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(MessageLog))


# ---- URL verification -------------------------------------------------------------------
def test_url_verification_returns_echostr_verbatim_as_plain_text(client):
    resp = client.get("/wechat", params={**signed(), "echostr": "7071327187618946"})
    assert resp.status_code == 200
    assert resp.content == b"7071327187618946"
    assert resp.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "1", "echostr": "x"},
    {"echostr": "x"},
    {**signed(ts=int(time.time()) - 3600), "echostr": "x"},
], ids=["bad_signature", "missing_params", "stale_timestamp"])
def test_url_verification_refuses_unsigned_or_stale_requests(client, params):
    resp = client.get("/wechat", params=params)
    assert resp.status_code == 403
    assert b"x" != resp.content


# ---- every message and event type in every mode ---------------------------------------
KINDS = {
    "text": lambda s: s.text("托管五十亩水稻咋个收费"),
    "voice": lambda s: s.voice("我要贷款五万"),
    "voice_no_recognition": lambda s: s.voice(None),
    "location": lambda s: s.location(30.291, 108.038, "重庆市忠县石宝镇"),
    "image": lambda s: s.post(s.fields("image", PicUrl="http://example.invalid/a.jpg", MediaId="m1")),
    "link": lambda s: s.post(s.fields("link", Title="村村旺", Description="d", Url="http://example.invalid")),
    "video": lambda s: s.post(s.fields("video", MediaId="v1", ThumbMediaId="t1")),
    "subscribe": lambda s: s.event("subscribe"),
    "subscribe_qrscene": lambda s: s.event("subscribe", "qrscene_center_shibao", Ticket="TICKET"),
    "scan": lambda s: s.event("SCAN", "center_shibao", Ticket="TICKET"),
    "click": lambda s: s.event("CLICK", "MENU_TUOGUAN"),
}
SILENT = {
    "unsubscribe": lambda s: s.event("unsubscribe"),
    "view": lambda s: s.event("VIEW", "https://example.invalid/menu"),
    "location_event": lambda s: s.event("LOCATION", Latitude=30.291, Longitude=108.038, Precision=65.0),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_message_type_gets_a_valid_reply_in_each_mode(client, echo, mode, kind):
    sim = sim_for(client, mode)
    reply = KINDS[kind](sim)
    assert reply.status == 200
    assert reply.text and reply.text.startswith("收到")
    assert reply.fields["ToUserName"] == sim.openid
    assert reply.fields["FromUserName"] == sim.account
    assert reply.fields["MsgType"] == "text"
    assert reply.encrypted == (mode != "plain")
    assert len(echo.calls) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", sorted(SILENT))
def test_silent_events_answer_success(client, mode, kind):
    reply = SILENT[kind](sim_for(client, mode))
    assert reply.status == 200 and reply.body == b"success"


def test_parsed_inbound_carries_the_fields_handlers_need(client, echo):
    sim = sim_for(client, "aes")
    sim.voice("托管咋个收费", media_id="MEDIA123")
    sim.location(30.291, 108.038, "石宝镇")
    sim.event("subscribe", "qrscene_center_shibao", Ticket="T")
    sim.event("SCAN", "center_shibao", Ticket="T")
    sim.event("CLICK", "MENU_LOAN")
    voice, location, sub, scan, click = echo.calls
    assert (voice.kind, voice.text, voice.media_id) == ("voice", "托管咋个收费", "MEDIA123")
    assert (location.lat, location.lon, location.label) == (30.291, 108.038, "石宝镇")
    assert (sub.event, sub.event_key) == ("subscribe", "center_shibao")
    assert (scan.event, scan.event_key) == ("scan", "center_shibao")
    assert (click.event, click.event_key) == ("click", "MENU_LOAN")
    assert all(c.openid == sim.openid for c in echo.calls)


def test_plaintext_request_gets_plaintext_reply_when_aes_is_configured(client):
    reply = sim_for(client, "plain").text("你好")
    assert reply.status == 200 and not reply.encrypted and reply.text == "收到：你好"


def test_voice_without_recognition_keeps_media_id_on_the_log(client, ctx):
    sim_for(client, "aes").voice(None, media_id="MEDIA_NO_TEXT")
    with ctx.sessions() as session:
        row = session.scalars(select(MessageLog).where(MessageLog.direction == "in")).one()
    assert (row.msg_type, row.media_id) == ("voice", "MEDIA_NO_TEXT")


# ---- authentication ---------------------------------------------------------------------
def test_bad_signature_is_rejected_and_processes_nothing(client, ctx, echo):
    sim = sim_for(client, "plain")
    params = dict(sim.params(), signature="0" * 40)
    reply = sim.post(sim.fields("text", Content="转人工"), params=params)
    assert reply.status == 403
    assert echo.calls == [] and log_count(ctx) == 0


def test_stale_timestamp_is_rejected(client, echo):
    sim = sim_for(client, "aes")
    ts = str(int(time.time()) - 600)
    params = {"signature": sign(TOKEN, ts, "55"), "timestamp": ts, "nonce": "55"}
    assert sim.post(sim.fields("text", Content="你好"), params=params).status == 403
    assert echo.calls == []


def test_bad_msg_signature_and_wrong_appid_are_rejected(client, echo):
    from wechatpy.crypto import WeChatCrypto

    from tests.bot.conftest import AES_KEY

    sim = sim_for(client, "aes")
    xml = render_callback(sim.fields("text", Content="你好"))
    params = sim.params()
    body, query = sim.envelope(xml, params)
    query["msg_signature"] = "0" * 40
    assert client.post("/wechat", params=query, content=body).status_code == 403
    other = WeChatCrypto(TOKEN, AES_KEY, "wx0000000000000000")
    encrypt = ElementTree.fromstring(other.encrypt_message(xml, params["nonce"], params["timestamp"])).findtext("Encrypt")
    query = dict(params, encrypt_type="aes", msg_signature=sign(TOKEN, params["timestamp"], params["nonce"], encrypt))
    wrong_app = render_callback({"ToUserName": "gh", "Encrypt": encrypt}).encode()
    assert client.post("/wechat", params=query, content=wrong_app).status_code == 403
    assert echo.calls == []


@pytest.mark.parametrize("encrypt", ["not*base64*at*all==", "QUJD", ""])
def test_garbage_ciphertext_is_a_client_error(client, encrypt):
    params = signed()
    query = dict(params, encrypt_type="aes", msg_signature=sign(TOKEN, params["timestamp"], params["nonce"], encrypt))
    resp = client.post("/wechat", params=query, content=render_callback({"ToUserName": "gh", "Encrypt": encrypt}).encode())
    assert 400 <= resp.status_code < 500
    assert not any(marker in resp.content for marker in TRACE)


# ---- malformed and hostile input --------------------------------------------------------
def _text_xml(content: str = "hi") -> str:
    return render_callback({"ToUserName": "gh", "FromUserName": "oX", "CreateTime": int(time.time()),
                            "MsgType": "text", "Content": content, "MsgId": 1})


LOL = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
BAD_BODIES = {
    "not_xml": b"hello, this is not xml",
    "truncated": _text_xml().encode()[:60],
    "empty": b"",
    "json": b'{"MsgType": "text"}',
    "wrong_root": _text_xml().replace("<xml>", "<foo>").replace("</xml>", "</foo>").encode(),
    "no_msgtype": _text_xml().replace("<MsgType><![CDATA[text]]></MsgType>", "").encode(),
    "deep_nesting": b"<xml>" + b"<a>" * 6000 + b"</a>" * 6000 + b"</xml>",
    "bad_utf8": _text_xml().encode().replace(b"</Content>", b"\xff\xfe</Content>"),
    "billion_laughs": (f"<?xml version='1.0'?><!DOCTYPE xml [{LOL}]>" + _text_xml("&lol9;")).encode(),
    "xxe_file": ('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _text_xml("&x;")).encode(),
    "external_dtd": ('<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd">' + _text_xml()).encode(),
}


@pytest.mark.parametrize("label", sorted(BAD_BODIES))
def test_malformed_and_hostile_bodies_get_4xx_without_trace(client, echo, label):
    started = time.perf_counter()
    resp = client.post("/wechat", params=signed(), content=BAD_BODIES[label])
    assert 400 <= resp.status_code < 500, resp.content
    assert not any(marker in resp.content for marker in TRACE)
    assert b"root:" not in resp.content and b"lollol" not in resp.content
    assert time.perf_counter() - started < 1.0
    assert echo.calls == []


def test_entity_payload_in_the_aes_envelope_is_refused(client, echo):
    body = f"<!DOCTYPE xml [{LOL}]><xml><ToUserName>&lol9;</ToUserName><Encrypt>abc</Encrypt></xml>".encode()
    params = signed()
    query = dict(params, encrypt_type="aes", msg_signature=sign(TOKEN, params["timestamp"], params["nonce"], "abc"))
    resp = client.post("/wechat", params=query, content=body)
    assert resp.status_code == 400 and echo.calls == []


def test_control_characters_in_user_text_are_answered(client):
    reply = sim_for(client, "plain").text("a\x1db")
    assert reply.status == 200 and reply.text == "收到：ab"


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
def test_oversize_bodies_are_refused(client, echo, chunked):
    big = _text_xml("托" * 700_000).encode()
    content = (big[i:i + 65536] for i in range(0, len(big), 65536)) if chunked else big
    resp = client.post("/wechat", params=signed(), content=content)
    assert resp.status_code == 413
    assert echo.calls == []


def test_unknown_message_type_is_answered_not_failed(client):
    sim = sim_for(client, "plain")
    reply = sim.post(sim.fields("notsure", Content="?"))
    assert reply.status == 200


# ---- reply rules ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_user_text_cannot_inject_xml_into_the_reply(client, mode):
    payload = "x]]></Content><Injected>1</Injected><Content><![CDATA[y <xml>"
    reply = sim_for(client, mode).text(payload)
    assert reply.text == "收到：" + payload
    assert "Injected" not in reply.fields


def test_long_answers_are_split_into_a_reply_and_follow_ups(client, ctx, echo):
    from bot.dialog.unit import Outcome

    long_text = "\n".join(f"第{i}行：托管服务说明，按亩收费，以服务中心报价为准。" for i in range(200))
    echo.reply_factory = lambda inbound: Outcome(replies=[long_text])
    reply = sim_for(client, "aes").text("详细说说")
    assert len(reply.text.encode("utf-8")) <= 2047
    with ctx.sessions() as session:
        queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert queued, "the rest of the answer must be queued for 客服 delivery"
    assert all(len(m.payload["text"].encode("utf-8")) <= 2047 for m in queued)
    assert reply.text + "\n" + "\n".join(m.payload["text"] for m in queued) == long_text


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] and ready.json()["store"]


# ---- the webhook's own ASGI path -------------------------------------------------------
class FailingGateway:
    async def answer(self, inbound, arrived=None):
        raise RuntimeError("secret internals /srv/nongbot")


def call_webhook(webhook, body: bytes, messages: list[dict] | None = None) -> tuple[int | None, bytes]:
    """Drive the Webhook ASGI callable directly; `messages` replaces the body's single receive."""
    import asyncio
    import urllib.parse

    pending = list(messages or [{"type": "http.request", "body": body, "more_body": False}])
    sent: list[dict] = []

    async def receive() -> dict:
        return pending.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/wechat", "headers": [],
             "query_string": urllib.parse.urlencode(signed()).encode()}
    asyncio.run(webhook(scope, receive, send))
    status = sent[0]["status"] if sent else None
    return status, b"".join(m.get("body", b"") for m in sent[1:])


def plain_text_callback(openid: str = "oFarmerTest0001") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            "<Content><![CDATA[你好]]></Content><MsgId>42</MsgId></xml>").encode()


def test_a_failure_past_the_protocol_answers_a_bare_500_without_a_trace(caplog):
    from bot.app import Webhook
    from bot.wechat.protocol import WechatProtocol

    webhook = Webhook(WechatProtocol(TOKEN, None, "wxtest"), FailingGateway(), 65536)
    status, body = call_webhook(webhook, plain_text_callback())
    assert status == 500
    assert body == b"Internal Server Error"
    assert "secret internals" in caplog.text  # logged for the operator, not sent to the client


def test_a_client_that_hangs_up_mid_body_gets_no_answer_and_reaches_no_gateway():
    from bot.app import Webhook
    from bot.wechat.protocol import WechatProtocol

    webhook = Webhook(WechatProtocol(TOKEN, None, "wxtest"), FailingGateway(), 65536)
    half = plain_text_callback()[:40]
    status, _ = call_webhook(webhook, b"", [{"type": "http.request", "body": half, "more_body": True},
                                            {"type": "http.disconnect"}])
    assert status is None


def test_a_body_sent_in_pieces_is_read_whole(client):
    sim = sim_for(client, "plain")
    body, params = sim.envelope(render_callback(sim.fields("text", Content="你好")), sim.params())
    pieces = (body[i:i + 7] for i in range(0, len(body), 7))
    resp = client.post("/wechat", params=params, content=pieces)
    assert resp.status_code == 200
    assert b"<xml>" in resp.content


def test_only_post_wechat_takes_the_webhook_path_everything_else_is_fastapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.put("/wechat", params=signed(), content=b"<xml/>").status_code == 405
    assert client.post("/wechat/", params=signed(), content=b"<xml/>", follow_redirects=False).status_code in (307, 404)


CALLBACKS = {  # msg_type, fields: every kind WeChat sends us, and the edge cases of wechatpy's class choice
    "text": ("text", {"Content": "托管 <b>]]></b> 水稻"}),
    "voice": ("voice", {"MediaId": "m", "Format": "amr", "Recognition": "我要贷款"}),
    "voice_empty_recognition": ("voice", {"MediaId": "m", "Format": "amr", "Recognition": ""}),
    "location": ("location", {"Location_X": 30.29, "Location_Y": 108.03, "Scale": 15, "Label": "石宝镇"}),
    "image": ("image", {"PicUrl": "http://example.invalid/a.jpg", "MediaId": "m1"}),
    "link": ("link", {"Title": "t", "Description": "d", "Url": "http://example.invalid"}),
    "video": ("video", {"MediaId": "v1", "ThumbMediaId": "t1"}),
    "shortvideo": ("shortvideo", {"MediaId": "v1", "ThumbMediaId": "t1"}),
    "unknown_type": ("miniprogrampage", {"Title": "x"}),
    "subscribe": ("event", {"Event": "subscribe"}),
    "subscribe_qrscene": ("event", {"Event": "subscribe", "EventKey": "qrscene_center_shibao", "Ticket": "T"}),
    "subscribe_scan_product": ("event", {"Event": "subscribe", "EventKey": "scanbarcode|x"}),
    "unsubscribe": ("event", {"Event": "unsubscribe"}),
    "scan": ("event", {"Event": "SCAN", "EventKey": "center_shibao", "Ticket": "T"}),
    "click": ("event", {"Event": "CLICK", "EventKey": "MENU_TUOGUAN"}),
    "view": ("event", {"Event": "VIEW", "EventKey": "http://example.invalid/x"}),
    "location_event": ("event", {"Event": "LOCATION", "Latitude": 30.29, "Longitude": 108.03, "Precision": 50}),
    "unknown_event": ("event", {"Event": "TEMPLATESENDJOBFINISH", "Status": "success"}),
    "device_event": ("device_event", {"Event": "bind", "DeviceType": "d", "DeviceID": "i"}),
}


@pytest.mark.parametrize("name", CALLBACKS)
def test_one_parse_reads_every_callback_as_wechatpys_own_parser_does(name):
    from wechatpy import parse_message

    from bot.wechat.protocol import wechat_message, xml_fields

    msg_type, extra = CALLBACKS[name]
    xml = render_callback({"ToUserName": "gh_test", "FromUserName": "oFarmer", "CreateTime": 1700000000,
                           "MsgType": msg_type, **({} if msg_type == "event" else {"MsgId": 42}), **extra})
    ours, theirs = wechat_message(xml_fields(xml.encode())), parse_message(xml)
    assert type(ours) is type(theirs)
    assert ours._data == theirs._data
    assert (ours.type, ours.source, ours.id, ours.time) == (theirs.type, theirs.source, theirs.id, theirs.time)


def test_an_answer_within_the_limit_is_one_piece_as_the_line_by_line_split_would_make_it():
    import random

    from bot.wechat.protocol import _split_lines, split_for_wechat

    rng = random.Random(7)
    pieces = ["托管", "每亩80元", " ", "\n", "\r\n", "\n\n", "  \n", "\u2028", "😀", "a", "\t", "。"]
    texts = ["", " ", "\n", " \n\t", "好的", "第一行\n第二行  \n", "\n\n开头空行", "x" * 2000, "x" * 2001,
             "托" * 666 + "ab", "托" * 667, "😀" * 500, "😀" * 501]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 900))) for _ in range(300)]
    for text in texts:
        assert split_for_wechat(text) == _split_lines(text, 2000), repr(text[:40])
    assert split_for_wechat("托" * 667) == ["托" * 666, "托"]  # 2,001 bytes: split, as before
