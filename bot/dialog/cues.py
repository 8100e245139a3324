"""Dialog-act cues the engine needs beyond intents/ (repair: skip, correct, ask for a person, withdraw,
reschedule, remarks) and readers for bare answers (numbers in words, amounts, credit codes).

Plain word lists and small functions, no state: `bot.dialog.engine` asks them about one message's text.
"""
from __future__ import annotations

import re
import unicodedata

from intents.numbers import cn_to_number

# "I don't know / you decide": an optional question is skipped, never re-asked.
SKIP = ("不晓得", "不知道", "不清楚", "随便", "你们看着办", "看着办", "跳过", "不确定", "说不好", "说不准", "无所谓",
        "没想好", "还没想好", "都可以", "都行", "不好说", "先空着", "不填", "不说", "下一个", "下一步", "略过", "莫得", "没得")
# A filled slot changes only with one of these (or when its question is answered again).
CORRECTION = ("不对", "改成", "改为", "改到", "换成", "错了", "说错", "搞错", "弄错", "写错", "应该是", "其实是", "重新改",
              "不是", "更正", "改一下", "一共", "总共", "合计", "加起来")  # 一共五十亩: the total restated
# A person, in any state.
HUMAN = ("人工", "真人", "叫个人", "找个人", "派个人", "来个人", "有没有人", "打给我", "打电话给我", "给我打电话", "回电话",
         "负责人", "负责的", "领导", "客服", "你们的人", "转人", "恁们的人", "能说话的人", "管事的", "跟人说", "和人说", "人来", "打过来")
COMPLAINT = ("投诉", "举报", "太差", "差劲", "骗人", "骗子", "坑人", "乱收费", "不负责", "态度差", "没人管", "没人理",
             "等了好久", "一直没人", "太慢", "搞什么", "什么破", "少算", "多收", "算错", "多算")
# A request already submitted: withdraw it or move it.
WITHDRAW = ("取消", "不要了", "不做了", "不约了", "撤销", "撤回", "不办了", "算了", "退掉", "作废", "不贷了", "不弄了")
RESCHEDULE = ("改到", "改成", "改为", "换到", "推迟", "推到", "提前到", "延后", "延期", "改时间", "改期", "换个时间",
              "换一天", "挪到")
EARLIER = ("刚才", "刚刚", "之前", "上次", "前面", "已经", "那个", "那笔", "那单", "预约", "申请", "订单", "提交")
# Remarks that answer nothing: acknowledged, not stored.
REMARK = ("天气", "下雨", "落雨", "好热", "太热", "热得很", "好冷", "太冷", "冷得很", "出太阳", "太阳大", "太贵", "好贵",
          "贵得很", "涨价", "价格高", "不便宜", "累死", "好累", "辛苦", "忙得很", "忙死", "今年收成", "年成不好", "行情")
QUESTION = ("?", "？", "吗", "么", "呢", "啥", "什么", "怎么", "咋", "哪", "多少", "几时", "能不能", "可不可以", "要不要",
            "是不是", "有没有", "会不会", "如何", "为什么", "为啥", "好多钱", "几多钱")
# Words that make a message a request of its own, not a name or a purpose.
REQUEST = ("我要", "我想", "想要", "帮我", "给我", "申请", "预约", "办理", "入会", "加入", "贷款", "托管", "代账", "记账",
           "查一下", "查询", "进度", "转人工", "会费", "多少钱", "收费")
ORG_SUFFIXES = ("合作社", "农场", "公司", "协会", "联合社", "基地", "厂", "村委会")
STRONG_CONFIRM = ("确认", "确定", "提交", "确认提交", "就这样", "就这些", "没有了", "没了", "可以提交", "没问题")

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_CODE = re.compile(r"[0-9A-Z]{18}")
_CODE_LABELS = ("统一社会信用代码", "社会信用代码", "信用代码", "代码是", "代码", "信用码", "税号", "执照号", "号码是", "是")


FILLERS = ("嗯", "啊", "呃", "额", "喂", "那个", "就是说", "就是", "这个", "我说", "哦", "噢", "诶", "欸")


def strip_fillers(text: str) -> str:
    """Voice-input noise at the start of an answer ("嗯，那个，30亩" → "30亩")."""
    t = text.strip()
    changed = True
    while changed:
        changed = False
        for filler in FILLERS:
            if t.startswith(filler) and len(t) > len(filler):
                rest = t[len(filler):].lstrip("，,。 ~")
                if rest != t:
                    t, changed = rest, True
    return t


def has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


_LABOUR = re.compile(r"(有没得|有没有|派|来|找|请|叫)?(个|几个)?人来?(机耕|机收|机插|机播|帮忙剪|帮忙打药|帮忙收|帮忙管|帮忙做活|干活|做活|剪|打药|收割|收谷|管护|种|栽|施肥|犁|耕|插秧)")


_BODIES = re.compile(r"领导小组|领导班子|领导机构")
# "茶园要施肥 有没得人工帮忙": hired hands for the work, not 转人工
_HANDS = re.compile(r"(有没得|有没有|请|找|要)?(个|几个)?人工来?(帮忙|干活|做活)")
_FIELD_WORK = re.compile(r"施肥|打药|除草|收割|收谷|栽|插秧|采茶|摘|剪枝|修剪|耕|播|管护|挖|种")


# "负责人谭家明", "联系人是王大明", "理事长叫李明": who runs the farmer's own body, a name given (a form's answer),
# not a person of ours asked for ("找你们负责人", "叫负责人来").
_ROLE_NAMED = re.compile(r"(负责人|联系人|理事长|社长|场长|主任|法人代表|法人|老板)(?:是|叫|为|[:：])?[\s，,]*([\u4e00-\u9fff]{2,4})")
_ASKING = ("找", "叫", "让", "喊", "要", "转", "派", "你们", "恁们")


def _names_own_role(text: str) -> str:
    """`text` without a role of the farmer's own body named with a person's name (see _ROLE_NAMED)."""
    from handlers.forms import SURNAMES  # the dialog's name reader's surnames (handlers import this module)

    for found in _ROLE_NAMED.finditer(text):
        if found.group(2)[0] in SURNAMES and not has_any(text[:found.start()], _ASKING):
            return text[:found.start()] + text[found.end():]
    return text


def wants_person(text: str) -> bool:
    """Asks for a person or complains (then a person answers): wins in any state."""
    if has_any(text, COMPLAINT):
        return True
    text = _names_own_role(text)
    # "有没得人来帮忙剪", "想请人来管护": hands for the work (a service), not a person to talk to; "领导小组办公室设在哪"
    # names a body of the document.
    if _FIELD_WORK.search(text):
        text = _HANDS.sub("", text)
    text = _BODIES.sub("", _LABOUR.sub("", text))
    if not has_any(text, HUMAN):
        return False
    # "领导小组组长是谁", "负责人是哪个": asks who the document names, not for a person to talk to.
    if re.search(r"是谁|谁来当|谁当|由谁|哪个人|是哪个", text) and not has_any(text, ("人工", "转", "找", "叫", "派")):
        return False
    # "工作人员会打给我吗" asks about the process; "叫工作人员打给我" asks for a call.
    return not (text.endswith(("吗", "吗？", "吗?")) and not has_any(text, ("人工", "叫", "找", "派", "转")))


def is_complaint(text: str) -> bool:
    return has_any(text, COMPLAINT)


# "利息高不高", "收不收钱", "交没交": a verb or adjective, its negation, itself again.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


def is_question(text: str) -> bool:
    t = text.strip().rstrip("。.!！~")
    return has_any(t, QUESTION) or bool(_A_NOT_A.search(t)) or (len(t) >= 4 and t.endswith(("不", "没", "没有", "不嘛", "没得"))
                                     and not t.endswith(("都没有", "还没有", "也没有", "都不")))


# A question put to the bot that is really a request ("能不能帮我约一下", "怎么申请"), or asks where/how to reach
# someone (the center finder answers that): not a question about the document.
ASKS_SERVICE = ("帮我", "帮忙", "给我", "我要", "我想要", "我想办", "我想申请", "想申请", "想预约", "要预约", "报名",
                "怎么申请", "如何申请", "咋个申请", "咋申请", "怎么办理", "如何办理", "怎么预约", "咋个预约", "怎么约",
                "怎么加入", "咋个加入", "如何加入", "怎么入会", "怎么报", "在哪里", "在哪儿", "在哪点", "哪里", "哪儿",
                "哪点", "地址", "电话",
                "联系", "几点", "开门", "进度", "到哪了", "怎么样了", "办好了", "审批", "我想加入", "想加入", "想入会",
                "想入社", "咋个弄", "怎么弄", "咋弄", "咋个搞", "怎么搞", "咋个办", "怎么办", "咋办")


# Question forms is_question leaves to context (好多 = 多少 in 重庆话; 几个; …的还是… between two things) and A-not-A
# ("纳不纳入", "需不需要", "收不收").
ASKED = ("好多", "好大", "几个", "几家", "几处", "几年", "几月", "几项", "几级", "几名", "几位", "谁", "的还是", "是否")
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


# Asks whether the farmer can be served ("茶园管护你们做不做", "家庭农场能不能贷助农贷", "我想把谷子田全程托管 要得不",
# "年报公示你们帮得到不"): the form answers that by going on, not the document.
_CAN_I = re.compile(r"(能不能|可不可以|可以|能否|能)(帮|给)?(贷|入(?!股)|加入|办|托管|代账|记账|申请|预约|做|搞|弄|签|帮)"
                    r"|(贷|入会|入社|托管|代账|记账|做|搞|弄|签|办)(得)?(不|没|吗|嘛)[？?。!！]*$"
                    r"|([做搞弄办接帮签])不\3")
SERVICE_ASK = ("你们", "帮得到", "帮我", "能帮", "想请", "请你", "要得不", "行不行", "可以不", "中不中", "我想", "我要",
               "我们想", "俺想", "想把", "想找")


# Asks what the document says ("文件咋说的", "听说…是真的不"): the document answers, whoever asks.
ASKS_DOCUMENT = ("文件", "政策", "方案", "规定", "是真的", "真的不", "真的吗", "听说")
_AMOUNT = ("多少", "好多", "好大", "几个", "几家", "多大", "多高", "最多", "最高", "额度", "比例")


# "俺不想流转地还能托管不", "不入股还可以分红吗": whether the plan allows it on a condition, asked of the document.
_ON_CONDITION = re.compile(r"(不想|不愿|不流转|不入|没有|没得|木有|不用).{0,10}还(能|可以|可不可以|能不能)")


def asks_to_be_served(text: str) -> bool:
    """Asks to be served rather than what the plan says: an explicit request ("你们做不做", "我想…"), or "can I"
    ("能不能贷", "入会不") unless it asks an amount ("最多能贷好多")."""
    if has_any(text, ASKS_DOCUMENT) or _ON_CONDITION.search(text):
        return False
    return has_any(text, SERVICE_ASK) or (bool(_CAN_I.search(text)) and not has_any(text, _AMOUNT))


def asks_information(text: str) -> bool:
    """A question about the plan, its institutions, services, money or targets ("要交会费不", "农合联管不管…",
    "有没有托管补贴"), not a request put as a question: the document answers it, a form does not."""
    asks = is_question(text) or has_any(text, ASKED) or bool(_A_NOT_A.search(text))
    return asks and not has_any(text, ASKS_SERVICE)


def starts_request(text: str) -> bool:
    """Clearly asks for something new ("我还想预约机收"), not a question about what is under way."""
    if is_question(text) or has_any(text, ("问问", "问一下", "咨询", "了解", "请教", "打听")):
        return False
    # After 转人工 the farmer is asked to say what the matter is: that goes to the person. Only something
    # said as another request ("我还想…", "另外…") starts a form.
    return has_any(text, ("还想", "还要", "另外", "再办", "再约", "再申请", "顺便", "也想", "也要", "重新办", "另一个"))


_SKIP_PLAIN = tuple(w for w in SKIP if w not in ("没得", "莫得", "都可以", "都行"))


def skips(text: str) -> bool:
    t = text.strip("。.!！，, ")
    if t.startswith(("你们", "有没", "有得")) and is_question(t):
        return False  # "你们有机子没得": a question back, not "没得" (none)
    if is_question(t) and not has_any(t, _SKIP_PLAIN):
        return False  # "有啥子补贴政策没得": its 没得 ends a question, it is not "none"
    return bool(t) and len(t) <= 10 and has_any(t, SKIP)


# Yes to "继续刚才的…吗？": go on with the form (its pending question is asked again, nothing is stored).
CONTINUE = ("继续", "接着", "继续吧", "接着来", "接着办", "继续办", "继续填", "接着填", "继续嘛", "继续哈")
CONTINUE_YES = ("是", "是的", "要得", "好", "好的", "嗯", "嗯嗯", "中", "管", "行", "对", "可以", "得行", "要", "对头")


def continues(text: str, at_summary: bool = False) -> bool:
    """"继续", or (except at a summary, where yes submits) a bare yes."""
    t = text.strip(" 。.!！，,~～")
    return t in CONTINUE or (not at_summary and t in CONTINUE_YES)


def corrects(text: str) -> bool:
    return has_any(text, CORRECTION)


# The weather or prices remarked on in the farmer's words ("今天好大的雾哦", "这两天雨落得好大", "今年橘子价钱太孬了",
# "今儿个真冷啊"): a weather or price word with a word of degree next to it.
_WEATHER = "(?:雾|雨|雪|风|霜|冰雹|太阳|天气|天)"
_DEGREE = "(?:好|太|真|可|很|得很|得好|老|贼|忒)"
_REMARKED = re.compile(
    _WEATHER + r"[^，,。！!？?\d]{0,3}" + _DEGREE + "(?:大|冷|热|晒|闷|毒|凶|猛|干|潮)"
    + "|" + _DEGREE + "(?:大|冷|热)的" + _WEATHER
    + r"|(?:今天|今儿|今儿个|这两天|这几天|最近)[^，,。\d]{0,2}" + _DEGREE + "(?:冷|热|晒|闷)"
    + r"|(?:价钱|价格|价)[^，,。\d]{0,2}" + _DEGREE + "?(?:孬|低|贱|差|不行|不好|跌)")


def is_remark(text: str) -> bool:
    return has_any(text, REMARK) or bool(_REMARKED.search(text))


def phone_in(text: str) -> str | None:
    found = _PHONE.search(re.sub(r"[\s-]", "", text))
    return found.group(0) if found else None


def digit_choice(text: str) -> str | None:
    """"1", "２", "选2", "第3个" → the digit; None when the message is not a bare choice."""
    t = unicodedata.normalize("NFKC", text).strip(" 。.!！，,")
    for lead in ("选", "第", "回复", "要"):
        t = t.removeprefix(lead)
    t = t.removesuffix("个").removesuffix("号")
    return t if t.isdigit() and len(t) <= 2 else None


def read_number(text: str) -> float | None:
    """A bare number in digits or words ("二十", "四十来亩", "三十多张", "50亩左右") or None."""
    t = unicodedata.normalize("NFKC", text).strip(" 。.!！，,")
    for lead in ("大概", "大约", "差不多", "估计", "有", "约", "就", "是", "一共", "总共"):
        t = t.removeprefix(lead)
    changed = True
    while changed and t:
        changed = False
        for tail in ("左右", "上下", "的样子", "多点", "多", "来", "把", "个", "亩地", "亩", "张", "块钱", "块", "元", "笔",
                     "田", "土", "地", "吧", "哈", "嘛", "的", "呢"):
            if t.endswith(tail) and len(t) > len(tail):
                t, changed = t[: -len(tail)], True
    if not t or len(t) > 8:
        return None
    value = cn_to_number(t)
    if value is None or value <= 0:
        return None
    return int(value) if value == int(value) else value


def read_amount(text: str) -> float | None:
    """An amount of money: 5w, 10W, 三万五, 十来万, 5万块, 两千 (None when there is no number)."""
    t = unicodedata.normalize("NFKC", text).strip(" 。.!！，,").lower().replace("块钱", "").replace("元", "")
    t = t.replace("w", "万")
    for lead in ("大概", "大约", "差不多", "想贷", "贷", "要", "借", "估计", "有"):
        t = t.removeprefix(lead)
    t = re.sub(r"(来|多|把|左右|上下)万", "万", t)
    t = re.sub(r"万(左右|上下|多|来|的样子)$", "万", t)
    m = re.fullmatch(r"([0-9.]+|[零一二两三四五六七八九十百千]+)万([0-9一二两三四五六七八九])?千?", t)
    if m:
        head = cn_to_number(m.group(1))
        if head is None:
            return None
        tail = cn_to_number(m.group(2)) if m.group(2) else 0
        value = head * 10_000 + (tail or 0) * 1_000
    else:
        value = read_number(t)
    if value is None or value <= 0:
        return None
    return int(value) if value == int(value) else value


def find_credit_code(text: str) -> tuple[str, str] | None:
    """A 统一社会信用代码 anywhere in the text (labels, spaces, full-width, lower case), with the text left
    around it (e.g. the organisation's name beside it); None when there is none."""
    t = unicodedata.normalize("NFKC", text).upper()
    squeezed = re.sub(r"[\s\-]", "", t)
    found = _CODE.search(squeezed)
    if found is None:
        return None
    rest = squeezed[: found.start()] + " " + squeezed[found.end():]
    for label in _CODE_LABELS:
        rest = rest.replace(label, " ")
    rest = re.sub(r"[：:，,。；;、]", " ", rest).strip()
    return found.group(0), rest


_INTRODUCED = re.compile(r"(?:我叫|俺叫|我的名字叫|名字叫|名字是|我姓名是|姓名是|姓名|联系人是|联系人叫|联系人|叫我)[：:\s]*"
                         r"([\u4e00-\u9fff]{2,4})")
# "名山街道的 叫陈永华": a bare 叫 starting a clause, the name ending it (not 叫个人/叫人打给我).
_CALLED = re.compile(r"(?:^|[\s，,。的])叫([\u4e00-\u9fff]{2,3})(?=$|[\s，,。！!])")
_NOT_NAMES = ("个", "人", "工", "一", "你", "他", "她", "我", "啥", "什么", "哪")


# "我是石宝镇的果农杨德明": a name right after the farmer says what they are, ending the clause.
_AFTER_WHO = re.compile(r"(?:果农|菜农|茶农|椒农|农户|村民|社员|种植户|养殖户|大户|农民)([\u4e00-\u9fff]{2,3})(?=$|[\s，,。！!])")


def introduced_name(text: str, pack: object = None) -> str | None:
    """A person introducing themselves anywhere in a message ("我叫王大明，种水稻的")."""
    found = _INTRODUCED.search(text) or _CALLED.search(text.strip())
    if not found:
        from handlers.forms import SURNAMES  # the name after "果农" only when it starts with a surname
        after = _AFTER_WHO.search(text)
        return after.group(1) if after and after.group(1)[0] in SURNAMES else None
    name = found.group(1)
    if name.startswith(_NOT_NAMES):
        return None
    for tail in ("的", "是", "我", "在", "种", "要", "想"):
        if tail in name[2:]:
            name = name[: 2 + name[2:].index(tail)]
    return name if 2 <= len(name) <= 4 else None


_NAMED_ORG = re.compile(r"(?:名字|名称|名号|执照上|牌子)?(?:叫|是|叫做|写的)[:：\s]*([\u4e00-\u9fff（）()]{2,30}?(?:"
                        + "|".join(ORG_SUFFIXES) + r"|股份经济合作社|经济合作社))(?![\u4e00-\u9fff])")


def introduced_applicant(text: str, pack: object = None) -> str | None:
    """Who applies, named anywhere in a message: a person introducing themselves ("我叫王大明"), or an
    organisation's registered name after a naming word ("家庭农场，营业执照上叫忠县某某家庭农场")."""
    found = _NAMED_ORG.search(text)
    if found and has_any(text, ("叫", "名字", "名称", "执照", "牌子")):
        return found.group(1)
    return introduced_name(text, pack)


def reads_as_answer(text: str, parse: object) -> bool:
    """Free text (a name, a purpose, an organisation) is taken only when it reads as that answer: not a
    question, not a phone number, not a place or a date, not a request or a person asked for."""
    t = text.strip().strip("。.!！")
    if not t or len(t) > 30 or is_question(t) or phone_in(t) or wants_person(t):
        return False
    if t.endswith(ORG_SUFFIXES):  # 忠县石宝柑橘专业合作社: a place inside an organisation's name is its name
        return True
    if has_any(t, REQUEST):
        return False
    slots = getattr(parse, "slots", {}) or {}
    if any(name in slots for name in ("township", "date", "phone", "amount_yuan", "area_mu", "member_type", "crop",
                                      "service")):
        return False
    intent, confidence = getattr(parse, "intent", None), getattr(parse, "confidence", 0.0)
    return not (intent in ("human_agent", "check_status", "find_service_center", "policy_faq", "greeting",
                           "thanks_bye") and confidence >= 0.6)


# Submitting a pending summary in the farmer's words (要得 提交, 中 提交吧, 对头就这样, 可以可以); a question back
# ("可不可以", "中不中", "行不行") is not a yes.
SUBMIT = ("提交", "确认", "确定", "就这样", "就这么", "没问题", "没得问题", "要得", "对头", "对的", "可以", "行", "中", "管", "得行", "好的",
          "好嘛", "好", "对", "是的", "OK", "ok", "嗯")
_ASKED_BACK = ("管不管", "可不可以", "中不中", "行不行", "好不好", "对不对", "要不要", "是不是", "能不能", "可以不", "行不", "中不",
               "吗", "？", "?", "么", "咋")


def submits(text: str) -> bool:
    """A clear yes/submit to a pending summary, in any dialect; never a question back."""
    t = re.sub(r"[\s，,。.!！~、]", "", unicodedata.normalize("NFKC", text))
    if not t or len(t) > 12 or any(ch.isdigit() for ch in t) or has_any(t, _ASKED_BACK):
        return False
    rest = t
    for word in sorted(SUBMIT, key=len, reverse=True):
        rest = rest.replace(word, "")
    for particle in ("吧", "嘛", "啊", "呀", "了", "哈", "就", "这样", "都", "那", "那就", "嗯", "哦", "喽", "咯", "撒"):
        rest = rest.replace(particle, "")
    return rest == "" and t != rest


def asks_back(text: str) -> bool:
    """"可以不", "中不中", "行不行": a question back, neither yes nor no."""
    t = re.sub(r"[\s，,。.!！~]", "", text or "")
    return has_any(t, _ASKED_BACK) or (t.endswith(("不", "没")) and len(t) <= 4 and t not in ("不", "没"))


def strong_submit(text: str) -> bool:
    """Says to send it (提交/确认/就这样), not only yes: ends an optional question when nothing required is left."""
    return submits(text) and has_any(text, ("提交", "确认", "确定", "就这样", "就这么", "没问题", "没得问题"))


_NEXT_YEAR = re.compile(r"明年\s*([0-9一二三四五六七八九十]{1,3})月(?:份)?\s*([0-9一二三四五六七八九十]{1,3})?\s*([号日])?"
                        r"(上旬|中旬|下旬|初|底|末)?")


def next_year_date(text: str, today: object) -> str | None:
    """明年4月10号 → ISO (a day given); 明年三月中旬 → the words as said; None without 明年 + a month."""
    found = _NEXT_YEAR.search(unicodedata.normalize("NFKC", text or ""))
    if not found:
        return None
    month = cn_to_number(found.group(1))
    day = cn_to_number(found.group(2)) if found.group(2) else None
    year = getattr(today, "year", None)
    if year and month and day and 1 <= month <= 12 and 1 <= day <= 31 and not found.group(4):
        try:
            from datetime import date
            return date(year + 1, int(month), int(day)).isoformat()
        except ValueError:
            return found.group(0).strip()
    return found.group(0).strip()


# Joining: the institution after a joining verb is what the farmer wants to join, not who they are.
JOIN_VERBS = ("加入", "入社", "入会", "入股", "参加", "签约", "入农合联", "入合作社")
_SELF_WORDS = ("合作社", "农场", "农户", "散户", "公司", "企业", "村集体", "集体", "大户", "种植户", "养殖户", "村委")


def member_type_is_wanted_thing(text: str) -> bool:
    """"我想加入合作社" names the thing joined: the member type the NLU read there is not the farmer's.
    "我们合作社想加入农合联" / "我是家庭农场 想入社" say who they are before the verb: kept."""
    t = text or ""
    positions = [t.find(verb) for verb in JOIN_VERBS if verb in t]
    if not positions:
        return False
    # What is left once each joining verb and its object (to the end of its clause) are taken out: "加入农合联，
    # 我是汝溪的种植大户" still says who the farmer is; "我是种花椒的，想加入花椒合作社" does not.
    rest = _JOINED_OBJECT.sub(" ", t)
    return not has_any(rest, _SELF_WORDS)


_JOINED_OBJECT = re.compile("(?:" + "|".join(sorted(JOIN_VERBS, key=len, reverse=True)) + r")[^，,。；;！!？?\s]*")


# A span, not a day: 月中 / 月底 / 中旬 / 下个月 … kept as the farmer said it even when the NLU picks a day in it.
SPAN_DATES = ("月中", "月底", "月初", "上旬", "中旬", "下旬", "下个月", "开春", "过年", "春节", "腊月", "正月")
_A_DAY = re.compile(r"[0-9一二三四五六七八九十]+\s*[号日]|(周|星期|礼拜)[一二三四五六日天1-7]|今天|明天|后天")


def span_date(text: str) -> str | None:
    """The farmer's words for a date that is a span ("月中", "下个月初"), None when a day is named."""
    t = (text or "").strip()
    if not has_any(t, SPAN_DATES) or _A_DAY.search(t):
        return None
    for clause in re.split(r"[，,。；;\s]+", t):
        if has_any(clause, SPAN_DATES) and not re.search(r"\d{5,}", clause):
            return clause.strip("。.!！") or None
    return None
