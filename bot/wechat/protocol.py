"""WeChat callback protocol: signatures, safe XML, AES envelopes, typed inbound, passive replies."""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import re
import string
import time
from dataclasses import dataclass
from typing import Any, Callable

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from wechatpy import messages as wx_messages
from wechatpy import events as wx_events
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import UnknownMessage

from bot.wechat.inbound import Inbound

# Characters XML 1.0 forbids even inside CDATA; WeChat has delivered them raw (WeRoBot#420).
_XML_INVALID = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_INVALID_STR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
TEXT_REPLY_MAX_BYTES = 2047
MODES = ("plain", "compat", "safe")

# The query parameters' shapes, checked before anything is computed from them (ASCII only: str.isdigit()
# and `\d` admit '²' and other digits int() and hmac.compare_digest refuse).
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[!-~]{1,64}")
ECHOSTR_MAX = 512

# The fields a message's reading takes as text, with the longest value the records keep (the columns of
# bot.records.models: openid 64, media_id 200, msg_type 30; a MsgId is a 64-bit number, and 32 digits keep the keys
# made of openid and MsgId within their columns, e.g. a ticket's idempotency key, 128). Nested elements are
# allowed only in the containers some menu events carry (ScanCodeInfo, SendPicsInfo, SendLocationInfo).
FIELD_LIMITS = {"ToUserName": 64, "FromUserName": 64, "CreateTime": 12, "MsgType": 30, "MsgId": 32,
                "MsgID": 32, "Event": 30, "MediaId": 200, "ThumbMediaId": 200, "Format": 30, "Content": 20000,
                "Recognition": 20000, "PicUrl": 2000, "Url": 2000, "Title": 2000, "Description": 4000,
                "Label": 2000, "EventKey": 2000, "Location_X": 40, "Location_Y": 40, "Scale": 20,
                "Latitude": 40, "Longitude": 40, "Precision": 40, "Ticket": 2000, "Encrypt": 60000}


class RequestRejected(Exception):
    """The request is not a valid WeChat callback; `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Callback:
    """One authenticated, decrypted callback."""

    mode: str              # plain | aes (safe or compatible mode: the reply is encrypted)
    inbound: Inbound
    nonce: str
    timestamp: str = ""
    digest: str = ""       # of the message's fields: a (timestamp, nonce) is good for this message only


@dataclass(frozen=True)
class Signed:
    """The signature parameters of a callback URL, shape-checked (ASCII, bounded)."""

    signature: str         # 40 hex digits, lower case
    timestamp: str         # 1-12 ASCII digits
    nonce: str             # 1-64 printable ASCII characters

    @classmethod
    def of(cls, params: dict[str, str]) -> Signed:
        signature, timestamp, nonce = params.get("signature"), params.get("timestamp"), params.get("nonce")
        if not signature or not timestamp or not nonce:
            raise RequestRejected(403, "missing signature")
        if not _HEX40.fullmatch(signature) or not _NONCE.fullmatch(nonce):
            raise RequestRejected(403, "bad signature")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise RequestRejected(403, "stale timestamp")
        return cls(signature.lower(), timestamp, nonce)


def fields_digest(fields: dict[str, Any]) -> str:
    """A digest of a callback's (decrypted) fields: the same message re-sent gives the same one."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=True).encode("ascii")).hexdigest()


class NonceBook:
    """Binds each signed (timestamp, nonce) to the one message first seen with it, in the store, for as long
    as the timestamp is fresh: a plaintext signature covers token, timestamp and nonce but not the body, so
    whoever sees one signed URL could otherwise post any message with it. The same message again (WeChat's
    retries) passes; another one is refused."""

    def __init__(self, store: Any, max_skew_seconds: int) -> None:
        self.store = store
        self.ttl = 2 * max_skew_seconds + 60

    def bind(self, timestamp: str, nonce: str, digest: str) -> bool:
        """Whether this (timestamp, nonce) is this message's. Tried twice: a connection the database or
        Redis dropped fails the first call and is replaced for the second; a second failure is raised."""
        key = f"nonce:{timestamp}:{nonce}"
        try:
            return self._bind(key, digest)
        except Exception:  # noqa: BLE001 - once more, on a fresh connection
            return self._bind(key, digest)

    def _bind(self, key: str, digest: str) -> bool:
        if self.store.add(key, digest, self.ttl):
            return True
        return self.store.get(key) == digest


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def cdata(text: str) -> str:
    """CDATA that user text cannot break out of: ']]>' is split across two sections."""
    clean = _XML_INVALID_STR.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_fields(body: bytes) -> dict[str, Any]:
    """Parse a WeChat XML document into {tag: text | dict}, refusing DTDs and entities outright."""
    head = body[:4096].upper()
    if any(marker in head for marker in _DTD_MARKERS) or b"<!ENTITY" in body.upper():
        raise RequestRejected(400, "DTD or entity declarations are not allowed")
    try:
        root = safe_fromstring(_XML_INVALID.sub(b"", body), forbid_dtd=True, forbid_entities=True,
                               forbid_external=True)
    except DefusedXmlException as exc:
        raise RequestRejected(400, "DTD or entity declarations are not allowed") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure is a malformed request
        raise RequestRejected(400, "malformed XML") from exc
    if root.tag != "xml":
        raise RequestRejected(400, "root element must be <xml>")
    fields: dict[str, Any] = {}
    for child in root:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        if len(child) == 0:
            fields[child.tag] = (child.text or "").strip()
        elif child.tag in FIELD_LIMITS:  # <Content><b>x</b></Content>, an XInclude inside a field
            raise RequestRejected(400, f"{child.tag} must be text")
        else:
            fields[child.tag] = {grand.tag: (grand.text or "").strip() for grand in child
                                 if isinstance(grand.tag, str)}
    for tag, limit in FIELD_LIMITS.items():
        value = fields.get(tag)
        if value is not None and len(value) > limit:
            raise RequestRejected(400, f"{tag} too long")
    return fields


def _text_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="text", text=msg.content, **base)


def _voice_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="voice", text=(msg.recognition or "").strip() or None, media_id=msg.media_id, **base)


def _coordinate(value: Any, bound: float) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > bound:
        raise ValueError("coordinate out of range")
    return number


def _location_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="location", lat=_coordinate(msg.location_x, 90), lon=_coordinate(msg.location_y, 180),
                   label=msg.label, **base)


def _image_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="image", media_id=msg.media_id, url=msg.image, **base)


def _link_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="link", title=msg.title, url=msg.url, **base)


def _video_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="video", media_id=msg.media_id, **base)


def _event(name: str, key: Callable[[Any], str | None] = lambda m: None) -> Callable[[Any, dict], Inbound]:
    return lambda msg, base: Inbound(kind="event", event=name, event_key=key(msg), **base)


def _location_event(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind="event", event="location", lat=_coordinate(msg.latitude, 90),
                   lon=_coordinate(msg.longitude, 180), **base)


def _unknown_inbound(msg: Any, base: dict[str, Any]) -> Inbound:
    return Inbound(kind=str(getattr(msg, "type", "unknown") or "unknown"), **base)


# wechatpy message class -> Inbound builder: one table, no if-chain.
INBOUND_BUILDERS: dict[type, Callable[[Any, dict[str, Any]], Inbound]] = {
    wx_messages.TextMessage: _text_inbound,
    wx_messages.VoiceMessage: _voice_inbound,
    wx_messages.LocationMessage: _location_inbound,
    wx_messages.ImageMessage: _image_inbound,
    wx_messages.LinkMessage: _link_inbound,
    wx_messages.VideoMessage: _video_inbound,
    wx_messages.ShortVideoMessage: _video_inbound,
    wx_events.SubscribeEvent: _event("subscribe"),
    wx_events.SubscribeScanEvent: _event("subscribe", lambda m: m.scene_id),
    wx_events.UnsubscribeEvent: _event("unsubscribe"),
    wx_events.ScanEvent: _event("scan", lambda m: m.scene_id),
    wx_events.ClickEvent: _event("click", lambda m: m.key),
    wx_events.ViewEvent: _event("view", lambda m: m.url),
    wx_events.LocationEvent: _location_event,
}


def wechat_message(fields: dict[str, Any]) -> Any:
    """wechatpy's message object for a callback's fields, its class chosen as wechatpy's parse_message
    chooses it — from the fields `xml_fields` parsed, so a callback is parsed once, by one parser."""
    message = {tag: None if value == "" else value for tag, value in fields.items()}  # as xmltodict has it
    message_type = message["MsgType"].lower()
    if message_type != "event" and not message_type.startswith("device_"):
        return wx_messages.MESSAGE_TYPES.get(message_type, UnknownMessage)(message)
    event_type = message["Event"].lower() if "Event" in message else None
    if event_type is None and message_type.startswith("device_"):
        event_type = message_type
    elif message_type.startswith("device_"):
        event_type = f"device_{event_type}"
    key = message.get("EventKey")
    if event_type == "subscribe" and key:
        if key.startswith(("scanbarcode|", "scanimage|")):
            event_type = message["Event"] = "subscribe_scan_product"
        elif key.startswith("qrscene_"):
            event_type = message["Event"] = "subscribe_scan"
            message["EventKey"] = key[len("qrscene_"):]
    return wx_events.EVENT_TYPES.get(event_type, UnknownMessage)(message)


def to_inbound(fields: dict[str, Any]) -> Inbound:
    """Typed inbound from a verified, decrypted callback's fields (wechatpy's class picks the reading)."""
    try:
        msg = wechat_message(fields)
    except Exception as exc:  # noqa: BLE001 - KeyError/AttributeError from missing fields
        raise RequestRejected(400, "not a WeChat message") from exc
    if not getattr(msg, "source", None) or not getattr(msg, "type", None):
        raise RequestRejected(400, "not a WeChat message")
    builder = INBOUND_BUILDERS.get(type(msg), _unknown_inbound)
    try:
        create_time = fields.get("CreateTime") or "0"
        if not isinstance(create_time, str) or not _TIMESTAMP.fullmatch(create_time):
            raise ValueError("CreateTime must be a timestamp")
        msg_id = fields.get("MsgId") or fields.get("MsgID")
        if msg_id is not None and not (isinstance(msg_id, str) and msg_id.isascii() and msg_id.isdigit()):
            raise ValueError("MsgId must be a number")
        base = {"openid": msg.source, "account": msg.target or "", "msg_id": str(msg.id) if msg.id else None,
                "create_time": int(create_time)}
        return builder(msg, base)
    except (TypeError, ValueError) as exc:
        raise RequestRejected(400, "malformed message fields") from exc


class WechatProtocol:
    """Authenticates and decodes callbacks and encodes passive replies for one account."""

    def __init__(self, token: str, aes_key: str | None, appid: str, max_skew_seconds: int = 300,
                 clock: Callable[[], float] = time.time, mode: str | None = None) -> None:
        self.token = token
        self.appid = appid
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.max_skew = max_skew_seconds
        self.clock = clock
        self.mode = mode or ("safe" if aes_key else "plain")
        if self.mode not in MODES:
            raise ValueError(f"message mode must be one of {', '.join(MODES)}")

    # ---- authentication -------------------------------------------------------------
    def _check_signature(self, params: dict[str, str]) -> Signed:
        signed = Signed.of(params)
        if not self.token or not hmac.compare_digest(sign(self.token, signed.timestamp, signed.nonce),
                                                     signed.signature):
            raise RequestRejected(403, "bad signature")
        self._check_fresh(signed.timestamp)
        return signed

    def _check_fresh(self, timestamp: str) -> None:
        # WeChat documents no window; 5 minutes blocks replays of captured requests.
        if abs(self.clock() - int(timestamp)) > self.max_skew:
            raise RequestRejected(403, "stale timestamp")

    def verify_url(self, params: dict[str, str]) -> str:
        """GET URL verification: the echostr, byte for byte, when the signature is right."""
        self._check_signature(params)
        echostr = params.get("echostr")
        if echostr is None:
            raise RequestRejected(400, "missing echostr")
        if len(echostr) > ECHOSTR_MAX or not echostr.isprintable():
            raise RequestRejected(400, "bad echostr")
        return echostr

    @staticmethod
    def verification_digest(params: dict[str, str]) -> str:
        """What a verification request's (timestamp, nonce) is bound to: its echostr (never a message)."""
        return "GET:" + hashlib.sha256(params.get("echostr", "").encode("utf-8", "replace")).hexdigest()

    # ---- decoding -------------------------------------------------------------------
    def open(self, params: dict[str, str], body: bytes) -> Callback:
        signed = self._check_signature(params)
        encrypted = params.get("encrypt_type", "raw").lower() == "aes"
        if not encrypted and self.mode == "safe":
            raise RequestRejected(403, "plaintext callbacks are refused in safe mode")
        fields = xml_fields(body)
        mode = "plain"
        if encrypted:
            fields = xml_fields(self._decrypt(params, body, fields).encode("utf-8"))  # the same gate inside
            mode = "aes"
        return Callback(mode=mode, inbound=to_inbound(fields), nonce=signed.nonce, timestamp=signed.timestamp,
                        digest=fields_digest(fields))

    def _decrypt(self, params: dict[str, str], body: bytes, envelope: dict[str, Any]) -> str:
        if self.crypto is None:
            raise RequestRejected(400, "encrypted callback but no EncodingAESKey configured")
        encrypt = envelope.get("Encrypt")
        msg_signature = params.get("msg_signature")
        if not encrypt or not isinstance(encrypt, str) or not msg_signature:
            raise RequestRejected(400, "missing Encrypt or msg_signature")
        if not _HEX40.fullmatch(msg_signature):
            raise RequestRejected(403, "bad msg_signature")
        if not hmac.compare_digest(sign(self.token, params["timestamp"], params["nonce"], encrypt),
                                   msg_signature.lower()):
            raise RequestRejected(403, "bad msg_signature")
        try:
            return self.crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, params["timestamp"],
                                               params["nonce"])
        except InvalidAppIdException as exc:
            raise RequestRejected(403, "wrong AppID") from exc
        except InvalidSignatureException as exc:
            raise RequestRejected(403, "bad msg_signature") from exc
        except Exception as exc:  # noqa: BLE001 - bad base64, padding, truncated cipher
            raise RequestRejected(400, "undecryptable Encrypt") from exc

    # ---- encoding -------------------------------------------------------------------
    def text_reply(self, callback: Callback, text: str) -> bytes:
        inbound = callback.inbound
        xml = ("<xml>"
               f"<ToUserName>{cdata(inbound.openid)}</ToUserName>"
               f"<FromUserName>{cdata(inbound.account)}</FromUserName>"
               f"<CreateTime>{int(self.clock())}</CreateTime>"
               "<MsgType><![CDATA[text]]></MsgType>"
               f"<Content>{cdata(fit_bytes(text, TEXT_REPLY_MAX_BYTES))}</Content>"
               "</xml>")
        if callback.mode == "aes" and self.crypto is not None:
            nonce = "".join(random.choices(string.digits, k=10))
            return self.crypto.encrypt_message(xml, nonce, str(int(self.clock()))).encode("utf-8")
        return xml.encode("utf-8")


def fit_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-8 bytes (never cuts a character)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def split_for_wechat(text: str, limit: int = 2000) -> list[str]:
    """Split a long answer at line breaks into pieces each within `limit` UTF-8 bytes."""
    if len(text) * 4 <= limit or len(text.encode("utf-8")) <= limit:  # most answers: one piece, as below
        return [text.rstrip()] if text.strip() else []
    return _split_lines(text, limit)


def _split_lines(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > limit:
            head = fit_bytes(line, limit)
            if current:
                pieces.append(current.rstrip())
                current = ""
            pieces.append(head.rstrip())
            line = line[len(head):]
        if len((current + line).encode("utf-8")) > limit:
            pieces.append(current.rstrip())
            current = ""
        current += line
    if current.strip():
        pieces.append(current.rstrip())
    return [p for p in pieces if p]
