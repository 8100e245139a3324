"""Training of the learned stage (intents.learned): the corpus and the fit. Needs scikit-learn (a dev dependency).

Corpus: the repo's labelled dev files (tests/data/nlu_dev*.jsonl), the first turns of the labelled bench
conversations, and messages generated from the catalogue (intents/data/intents.yaml and each pack's phrases)
× each pack's vocabulary (townships, crops, services, loan products, programmes) × style transforms (a long story
with the ask last, negation 不是要X，是要Y, voice noise: no punctuation, fillers, same-sound characters,
重庆话 / 鲁西 particles) and out-of-scope templates (ads, spam, other topics). Everything is seeded: the same
files give the same corpus and the same model. tests/data/nlu_test.jsonl, nlu_holdout.jsonl and
nlu_r1_five_counties.jsonl are never read here: they stay an honest check.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Any, Iterable

import yaml

from intents.learned import FEATURE_VERSION, MODEL_PATH, feature_norm, features

ROOT = Path(__file__).resolve().parents[1]
DEV_FILES = ("tests/data/nlu_dev.jsonl", "tests/data/nlu_dev_fivecounty.jsonl", "tests/data/nlu_dev_liaocheng.jsonl",
             "tests/data/nlu_dev_r3_generated.jsonl", "tests/data/nlu_dev_r3_handwritten.jsonl",
             "tests/data/nlu_dev_r3_handwritten2.jsonl", "tests/data/nlu_dev_r3_handwritten3.jsonl",
             "tests/data/nlu_dev_r7_nlu.jsonl")
CONVERSATION_GLOB = "bench/data/conversations*.jsonl"
HELD_OUT = ("nlu_test.jsonl", "nlu_holdout.jsonl", "nlu_r1_five_counties.jsonl")
PACKS = ("zhongxian", "fengdu", "jiangjin", "nanchuan", "liaocheng")
SEED = 15
REAL_WEIGHT = 3.0
KIND_INTENT = {"bookings": "book_tuoguan", "members": "join_nonghelian", "loan_requests": "loan_products",
               "bookkeeping_requests": "bookkeeping"}

# ---- templates: {t} township, {c} crop, {s} service, {p} loan product, {g} programme, {n} a number -------------
TEMPLATES: dict[str, list[str]] = {
    "join_nonghelian": ["我是{t}的，想加入农合联", "种{c}的能不能入会", "{t}的家庭农场怎么入会", "我们合作社想加入你们",
                        "入会要交多少会费", "成为会员有啥好处", "我想当会员，要带些啥子", "{c}大户可以入农合联不",
                        "怎么申请入会", "入会条件是啥", "俺也想入会，咋弄", "我们村的合作社想入社，找哪个"],
    "book_tuoguan": ["帮我约个{s}，{t}的，{n}亩{c}", "{c}要{s}，能来不", "我有{n}亩{c}想托管", "{t}{c}{s}怎么预约",
                     "下个礼拜能来帮我{s}不", "田里没人种了，你们能不能包过去", "{s}一亩多少钱，想约", "想请机器来收{c}",
                     "{n}亩{c}要打药，派个无人机来", "地种不过来了，想找人托管"],
    "loan_products": ["种{c}想贷款", "{p}怎么申请", "我想借{n}万块钱买农机", "没有抵押能贷款吗", "贷款利息多少",
                      "养{c}缺钱，能贷多少", "{p}要什么材料", "手头紧，差点本钱买肥料", "能贷个{n}万不", "农业保险怎么买"],
    "bookkeeping": ["我们合作社要代账", "合作社的账没人会做", "帮我们记个账报个税", "家庭农场要不要记账",
                    "代账一年好多钱", "年报公示不会填", "我们社里要交税了，不懂", "合作社账务谁来做", "想找人做账"],
    "find_service_center": ["{t}的服务中心在哪里", "{t}为农服务中心电话多少", "离{t}最近的服务站在哪",
                            "服务中心几点上班", "你们{t}的网点在哪个位置", "我在{t}，去哪里办事", "服务中心地址发我一下"],
    "human_agent": ["转人工", "我要找人工客服", "不想跟机器说话", "找你们负责人", "我要投诉", "叫个真人来",
                    "你们负责人电话多少", "我要反映问题，找领导", "机器人听不懂，叫人来", "我要投诉你们的工作人员"],
    "check_status": ["{s}的事有人管没有", "我约的{s}到哪一步了", "上次申请的贷款批了没", "入会申请有结果没", "我的预约怎么还没人来",
                     "报的代账办好了没", "我前天提交的申请进度咋样", "我那个单子处理了没"],
    "policy_faq": ["{c}有啥子补贴", "{g}是什么意思", "种粮补贴什么时候发", "{g}是真的吗", "农合联是干啥的",
                   "今年{c}有没有扶持政策", "方案里说的{g}是啥", "听说有{s}补贴，是不是真的", "示范社怎么申报",
                   "农合联有多少个会员", "{g}由哪个单位牵头", "听说要建{n}个服务中心，我们镇有没有份",
                   "听说{g}，我们村能不能享受", "{g}到底负责哪些事情", "方案里说要搞{g}，具体是啥意思",
                   "文件上说{n}个综合服务社是哪些", "是不是真的有{c}补贴", "{g}和农合联有啥区别"],
    "supplies": ["哪里买{c}的化肥", "{c}种子多少钱", "农药在哪买", "要买点复合肥", "有没有{c}苗卖",
                 "{t}有卖农资的没", "化肥能送货上门不", "想买几包尿素"],
    "sell_produce": ["{n}斤{c}卖不出去", "{c}有没有人收", "{t}的{c}往哪里卖", "我的{c}想上网卖", "{c}价格咋样，想卖",
                     "家里{c}熟了，帮忙找个买家", "有人收购{c}不"],
    "greeting": ["你好", "在吗", "您好，请问有人吗", "哈喽", "早上好", "喂，你好", "老师好", "有人在没得"],
    "thanks_bye": ["谢谢", "好的谢谢", "晓得了，谢了", "再见", "麻烦你了，拜拜", "没得事了，谢谢", "要得，感谢"],
}

STORIES = ["我家里就我跟老伴两个人，儿子媳妇都在外头打工", "今年天气不好，雨水多得很", "我在{t}住了几十年了",
           "前几天去镇上赶场，听隔壁老王说起", "我们家种了{n}亩{c}，一直是自己在弄", "去年收成还可以，今年就不行了",
           "我年纪大了，身体也不太好", "村里开会的时候说了一下", "我是{t}的，种{c}的", "娃儿在城里读书，屋头没得劳力",
           "我问了好几个人都说不清楚", "上个月下了好几场大雨", "我们村好多人都出去了", "俺家在{t}，种了{n}亩{c}",
           "之前在别的地方问过，没人理", "我也不太会用手机，是孙子帮我打的字"]
ASK_PREFIX = ["所以想问一下，", "我就想问，", "麻烦问下，", "想问问你们，", "就是想问，", "请问", ""]
FILLERS = ["嗯", "那个", "就是说", "呃", "啊", "这个", "然后"]
CQ_PARTICLES = ["嘛", "噻", "哈", "哦", "喃", "嗦"]
CQ_WORDS = [("什么", "啥子"), ("怎么", "咋个"), ("没有", "莫得"), ("知道", "晓得"), ("好的", "要得"), ("在哪里", "在哪儿")]
LX_WORDS = [("我", "俺"), ("你们", "恁"), ("怎么办", "咋弄"), ("行不行", "中不中"), ("明天", "明儿个"), ("玉米", "棒子"),
            ("什么", "啥"), ("可以吗", "中不中")]

OOS_TEMPLATES = [
    "低息贷款，无抵押，当天放款，加微信{w}", "代开各类发票，税点低，联系{ph}", "兼职刷单，日结{n}百，加QQ{d}",
    "恭喜你中奖了，点击链接领取", "专业办理信用卡，额度高，电话{ph}", "免费领取鸡蛋，扫码进群", "网贷逾期帮你处理，加V{w}",
    "高价回收旧手机，上门服务{ph}", "招聘日结临时工，包吃住，联系{ph}", "正规发票代开，微信{w}",
    "我想买张去重庆的火车票", "快递怎么还没到", "网上买的衣服怎么退货", "帮我叫个车去县城", "老板拖欠工资不给怎么办",
    "明天天气怎么样", "给我讲个笑话", "孩子上学的事找哪个", "手机坏了去哪里修", "哪里可以办身份证", "医院挂号怎么挂",
    "帮我查一下彩票", "淘宝上买的东西质量不好", "社保卡丢了怎么补办", "我要去广东打工，有没有车", "电费怎么这么贵",
    "你是男的还是女的", "帮我写个作文", "哪家馆子好吃", "我工地上的工钱还没结", "拼多多砍一刀帮我点一下",
]


CONTACT_INTENTS = ("book_tuoguan", "join_nonghelian", "loan_products", "bookkeeping", "check_status", "human_agent",
                   "sell_produce", "supplies")
OWN_CONTACT = ["，电话{ph}", "，我电话是{ph}", "，联系电话{ph}", "，打{ph}找我", "，我的手机号{ph}，微信同号",
               "，电话：{ph3}", "，有事打我电话{ph}", "，姓王，{ph}"]


# other topics, composed: things bought online and their trouble, trips, wages, personal paperwork, household
OOS_COMPOSED = [
    (["网上买的{x}", "淘宝上买的{x}", "拼多多买的{x}", "快递寄来的{x}"], ["衣服", "鞋子", "电饭煲", "被子", "手机壳", "电动车",
     "洗衣机", "窗帘"], ["坏了", "质量太差", "发错了", "一直没收到", "漏了"], ["找哪个退", "怎么退货", "找谁赔", "能退不"]),
    (["我想去{x}", "明天要去{x}", "帮我查下去{x}"], ["成都", "重庆", "广州", "县城", "济南", "北京"],
     ["的车票", "的大巴", "的火车", "的班车"], ["几点发车", "好多钱", "在哪里买票", "还有没有"]),
    (["{x}"], ["老板", "包工头", "厂里", "工地上"], ["欠我工钱", "拖欠工资", "几个月工资没发", "工钱一直不结"], ["咋个办", "找哪个要",
     "能不能帮我要回来", "去哪里告"]),
    (["{x}"], ["身份证", "社保卡", "医保卡", "户口本", "驾驶证", "护照"], ["丢了", "过期了", "要换", "要办"], ["去哪里办",
     "怎么补办", "要带啥子"]),
    (["家里的{x}"], ["电视", "冰箱", "热水器", "空调", "手机", "宽带"], ["坏了", "没得信号", "用不了"], ["找哪个修", "哪里能修"]),
]


def _composed(rng: random.Random) -> list[str]:
    out = []
    for heads, items, troubles, asks in OOS_COMPOSED:
        for _ in range(40):
            out.append(rng.choice(heads).replace("{x}", rng.choice(items)) + rng.choice(troubles) + "，"
                       + rng.choice(asks))
    return out


def _pack_vocab(pack: Any) -> dict[str, list[str]]:
    def names(items: Iterable[Any], aliases: bool = True) -> list[str]:
        out = []
        for it in items or []:
            out.append(it.name)
            if aliases:
                out.extend(a for a in (getattr(it, "aliases", None) or []) if a)
        return [n for n in out if n and len(n) <= 12]
    return {"t": names(pack.townships) or ["镇上"], "c": names(pack.crops) or ["水稻"],
            "s": names(pack.services) or ["托管"], "p": names(getattr(pack, "loan_products", None), False) or ["贷款"],
            "g": [n for n in names(getattr(pack, "programmes", None), False) if "“" not in n] or ["农合联"]}


def _fill(tpl: str, vocab: dict[str, list[str]], rng: random.Random) -> str:
    out = tpl
    for key in ("t", "c", "s", "p", "g"):
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", rng.choice(vocab[key]), 1)
    while "{n}" in out:
        out = out.replace("{n}", rng.choice(["五", "十", "二十", "三十", "五十", "8", "15", "40", "100", "两"]), 1)
    while "{w}" in out:
        out = out.replace("{w}", "".join(rng.choice("abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(8)), 1)
    while "{ph}" in out:
        out = out.replace("{ph}", "1" + "".join(rng.choice("3456789") for _ in range(10)), 1)
    while "{ph3}" in out:
        num = "1" + "".join(rng.choice("3456789") for _ in range(10))
        out = out.replace("{ph3}", f"{num[:3]} {num[3:7]} {num[7:]}", 1)
    while "{d}" in out:
        out = out.replace("{d}", "".join(rng.choice("0123456789") for _ in range(9)), 1)
    return out


def _homophones(texts: Iterable[str]) -> dict[str, list[str]]:
    """Characters of the corpus grouped by their toneless pinyin (a voice slip writes one for another)."""
    from intents.pinyin import char_syllable
    groups: dict[str, set[str]] = {}
    for t in texts:
        for ch in t:
            if "\u4e00" <= ch <= "\u9fff":
                syl = char_syllable(ch)
                if syl:
                    groups.setdefault(syl, set()).add(ch)
    return {ch: sorted(g - {ch}) for g in groups.values() if len(g) > 1 for ch in g}


def _voice(text: str, rng: random.Random, homo: dict[str, list[str]]) -> str:
    out = []
    for ch in text:
        if ch in "，。？！,.?! ":
            if rng.random() < 0.3:
                out.append(rng.choice(FILLERS))
            continue
        if ch in homo and rng.random() < 0.12:
            ch = rng.choice(homo[ch])
        out.append(ch)
    s = "".join(out)
    return (rng.choice(FILLERS) + s) if rng.random() < 0.4 else s


def _dialect(text: str, rng: random.Random, luxi: bool) -> str:
    for a, b in (LX_WORDS if luxi else CQ_WORDS):
        if a in text and rng.random() < 0.7:
            text = text.replace(a, b)
    if not luxi and rng.random() < 0.5:
        text = text.rstrip("？?") + rng.choice(CQ_PARTICLES)
    if luxi and rng.random() < 0.3:
        text = "俺问一下，" + text
    return text


def _phrases(pack: Any) -> dict[str, list[str]]:
    base = yaml.safe_load((ROOT / "intents" / "data" / "intents.yaml").read_text(encoding="utf-8"))
    out = {name: list(entry.get("phrases") or []) for name, entry in base.items()}
    for name, ex in (getattr(pack, "intents", None) or {}).items():
        out.setdefault(name, []).extend(getattr(ex, "phrases", None) or [])
    return out


def generated(pack_name: str, pack: Any, rng: random.Random, homo: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(text, intent, style) messages for one pack."""
    vocab = _pack_vocab(pack)
    luxi = pack_name == "liaocheng"
    phrases = _phrases(pack)
    pool: dict[str, list[str]] = {}
    for intent, tpls in TEMPLATES.items():
        pool[intent] = list(tpls) + phrases.get(intent, [])
    rows: list[tuple[str, str, str]] = []
    asks = [i for i in pool if i not in ("greeting", "thanks_bye")]
    for intent, items in pool.items():
        for tpl in items:
            for _ in range(3):
                base = _fill(tpl, vocab, rng)
                rows.append((base, intent, "plain"))
                if intent in ("greeting", "thanks_bye"):
                    rows.append((_dialect(base, rng, luxi), intent, "dialect"))
                    continue
                rows.append((_dialect(base, rng, luxi), intent, "dialect"))
                rows.append((_voice(base, rng, homo), intent, "voice"))
                if intent in CONTACT_INTENTS and rng.random() < 0.5:
                    # a farmer's own number in a request is no advert
                    rows.append((base.rstrip("？?。") + _fill(rng.choice(OWN_CONTACT), vocab, rng), intent, "contact"))
                # a long story, the ask last
                story = "，".join(_fill(s, vocab, rng) for s in rng.sample(STORIES, rng.randint(1, 3)))
                rows.append((f"{story}。{rng.choice(ASK_PREFIX)}{base}", intent, "long"))
                # a story that mentions another topic's words first, then this ask
                other = rng.choice([i for i in asks if i != intent and i != "out_of_scope"])
                if intent != "out_of_scope":
                    prior = _fill(rng.choice(TEMPLATES[other]), vocab, rng).rstrip("？?")
                    lead = rng.choice(["之前", "去年", "上回", "本来"])
                    rows.append((f"{lead}{prior}的事已经弄好了。现在{base}", intent, "long"))
                    # negation: not that, this
                    rows.append((f"不是要{prior}，是{base}", intent, "negation"))
                    rows.append((f"我没说要{prior}，我是想问{base}", intent, "negation"))
    for text in _composed(rng):
        rows.append((text, "out_of_scope", "other-topic"))
        if rng.random() < 0.3:
            rows.append((_voice(text, rng, homo), "out_of_scope", "voice"))
    for tpl in OOS_TEMPLATES:
        for _ in range(8):
            text = _fill(tpl, vocab, rng)
            rows.append((text, "out_of_scope", "spam"))
            rows.append((_voice(text, rng, homo), "out_of_scope", "voice"))
            story = "，".join(_fill(s, vocab, rng) for s in rng.sample(STORIES, rng.randint(1, 2)))
            rows.append((f"{story}。{text}", "out_of_scope", "long"))
    return rows


def _read_jsonl(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and line.startswith("{"):
            out.append(json.loads(line))
    return out


def corpus(understandings: dict[str, Any] | None = None) -> list[tuple[str, str, str, str]]:
    """(pack, text, intent, source) rows, deterministic."""
    from knowledge import load_pack
    rows: list[tuple[str, str, str, str]] = []
    for rel in DEV_FILES:
        assert Path(rel).name not in HELD_OUT
        for r in _read_jsonl(ROOT / rel):
            rows.append((r.get("pack") or r.get("county") or "zhongxian", r["text"], r["intent"], "dev"))
    for path in sorted(ROOT.glob(CONVERSATION_GLOB)):
        for r in _read_jsonl(path):
            intent = KIND_INTENT.get((r.get("expect") or {}).get("kind"))
            if intent and r.get("turns"):
                rows.append((r.get("pack") or "zhongxian", r["turns"][0], intent, "conversation"))
    homo = _homophones(t for _, t, _, _ in rows)
    for name in PACKS:
        rng = random.Random(f"{SEED}-{name}")
        for text, intent, style in generated(name, load_pack(name), rng, homo):
            rows.append((name, text, intent, "gen-" + style))
    return rows


def data_hash(rows: list[tuple[str, str, str, str]]) -> str:
    h = hashlib.sha256()
    h.update(f"features-v{FEATURE_VERSION}\n".encode())
    for pack, text, intent, source in rows:
        h.update(f"{pack}\t{text}\t{intent}\t{source}\n".encode("utf-8"))
    return h.hexdigest()


def normalized_texts(rows: list[tuple[str, str, str, str]]) -> list[str]:
    """Each row's text in its pack's Understanding.normalize form (what the stage sees at run time)."""
    from knowledge import load_pack

    from intents.understanding import Understanding
    norms = {}
    out = []
    for pack, text, _, _ in rows:
        if pack not in norms:
            norms[pack] = Understanding.from_pack(load_pack(pack), learned=False).normalize
        out.append(norms[pack](text).text)
    return out


def fit(texts: list[str], labels: list[str], c: float = 4.0, min_count: int = 2,
        weights: list[float] | None = None) -> dict[str, Any]:
    """A multinomial logistic regression over `features`; weights pruned and quantized. Returns the model dict."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    feats = [features(t) for t in texts]
    for fs in feats:
        for f in set(fs):
            counts[f] = counts.get(f, 0) + 1
    vocab = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocab)}
    indptr, indices, data = [0], [], []
    for fs in feats:
        row: dict[int, float] = {}
        norm = feature_norm(fs)
        for f in fs:
            j = index.get(f)
            if j is not None:
                row[j] = row.get(j, 0.0) + 1.0
        for j in sorted(row):
            indices.append(j)
            data.append(row[j] / norm)
        indptr.append(len(indices))
    x = csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=(len(texts), len(vocab)))
    label_names = sorted(set(labels))
    y = np.array([label_names.index(lab) for lab in labels])
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-6)
    clf.fit(x, y, sample_weight=np.array(weights) if weights is not None else None)
    return {"labels": label_names, "vocab": vocab, "coef": clf.coef_, "intercept": clf.intercept_}


def quantize(fitted: dict[str, Any], scale: float = 0.01, prune: float = 0.02) -> dict[str, Any]:
    """Weights as integers of `scale`; features whose every weight is below `prune` dropped."""
    coef = fitted["coef"]
    weights = {}
    for j, f in enumerate(fitted["vocab"]):
        col = coef[:, j]
        if float(abs(col).max()) < prune:
            continue
        weights[f] = [int(round(float(v) / scale)) for v in col]
    bias = [int(round(float(v) / scale)) for v in fitted["intercept"]]
    return {"labels": fitted["labels"], "weights": weights, "bias": bias, "scale": scale}


def row_weights(rows: list[tuple[str, str, str, str]]) -> list[float]:
    """Messages people wrote count REAL_WEIGHT times a generated one."""
    return [REAL_WEIGHT if r[3] in ("dev", "conversation") else 1.0 for r in rows]


def write_model(model: dict[str, Any], path: Path | str = MODEL_PATH) -> None:
    """Deterministic bytes: sorted keys, no timestamp or file name in the gzip header."""
    raw = json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(raw)


def train(path: Path | str = MODEL_PATH, c: float = 4.0) -> dict[str, Any]:
    """Build the corpus, fit, quantize, write the model file; returns its meta."""
    rows = corpus()
    texts = normalized_texts(rows)
    fitted = fit(texts, [r[2] for r in rows], c=c, weights=row_weights(rows))
    model = quantize(fitted)
    model["feature_version"] = FEATURE_VERSION
    sources: dict[str, int] = {}
    for r in rows:
        sources[r[3]] = sources.get(r[3], 0) + 1
    model["meta"] = {"data_hash": data_hash(rows), "rows": len(rows), "sources": sources, "c": c,
                     "features": len(model["weights"]), "held_out_never_read": list(HELD_OUT)}
    write_model(model, path)
    return model["meta"]
