"""Generate a fresh five-county dev set from templates written before the round's code changes (issue 15, round 3).

Each template is a message a farmer might send, with placeholders filled from the county's pack vocabulary
(townships, crops as farmers name them, counties), so the same construction is tried in every county.
Usage: python bench/nlu_gen_dev.py > tests/data/nlu_dev_r3_generated.jsonl   (seeded: the same file each run)
"""
from __future__ import annotations

import json
import random
import sys

TODAY = "2026-12-07"
COUNTIES = ["zhongxian", "fengdu", "jiangjin", "nanchuan", "liaocheng"]
REGION = {"liaocheng": "sd"}   # the others are 重庆 ("cq")

# crops as farmers write them: (written, canonical)
CROPS = {
    "zhongxian": [("橘子", "柑橘"), ("柑橘", "柑橘"), ("谷子", "水稻"), ("苞谷", "玉米"), ("水稻", "水稻")],
    "fengdu": [("榨菜", "榨菜"), ("青菜头", "榨菜"), ("海椒", "辣椒"), ("油菜", "油菜"), ("红苕", "红薯"), ("谷子", "水稻")],
    "jiangjin": [("花椒", "花椒"), ("青花椒", "花椒"), ("茶叶", "茶叶"), ("橘子", "柑橘"), ("高粱", "高粱")],
    "nanchuan": [("方竹笋", "笋竹"), ("茶叶", "茶叶"), ("蓝莓", "蓝莓"), ("黄精", "中药材"), ("谷子", "水稻")],
    "liaocheng": [("麦子", "小麦"), ("小麦", "小麦"), ("棒子", "玉米"), ("玉米", "玉米"), ("黄豆", "大豆")],
}
TOWNS = {
    "zhongxian": ["新立镇", "拔山镇", "石宝镇", "双桂镇", "花桥镇", "永丰镇"],
    "fengdu": ["虎威镇", "社坛镇", "董家镇", "包鸾镇", "江池镇", "双路镇"],
    "jiangjin": ["油溪镇", "吴滩镇", "李市镇", "慈云镇", "白沙镇", "先锋镇"],
    "nanchuan": ["三泉镇", "南平镇", "大观镇", "兴隆镇", "金山镇", "头渡镇"],
    "liaocheng": ["侯营镇", "堂邑镇", "梁水镇", "郑家镇", "张炉集镇", "于集镇"],
}
CN = {10: "十", 15: "十五", 20: "二十", 30: "三十", 40: "四十", 50: "五十", 60: "六十", 80: "八十", 100: "一百", 120: "一百二"}

# (style, intent, template, slots): slots name which placeholders are labelled, plus fixed slot values.
# {town} township, {crop} crop, {mu} area in digits, {mucn} area in characters, {I} I (我 / 俺), {you} 你们 / 恁,
# {how} how (咋个 / 咋), {what} what (啥子 / 啥), {ok} all right? (要得不 / 中不中), {county} the county's name
T = [
    # plain
    ("plain", "book_tuoguan", "{I}在{town}有{mu}亩{crop}，想请你们帮忙托管，怎么收费", ["town", "mu", "crop"]),
    ("plain", "loan_products", "种{crop}想扩大规模，能贷多少款，利息怎么算", ["crop"]),
    ("plain", "find_service_center", "{town}的为农服务中心在哪里，电话多少", ["town"]),
    ("plain", "join_nonghelian", "我是种{crop}的大户，想入你们的合作社，要什么条件", ["crop"]),
    ("plain", "sell_produce", "今年{crop}收了好几千斤，你们收不收，什么价", ["crop"]),
    ("plain", "supplies", "想买两吨复合肥，能送到{town}不", ["town"]),
    ("plain", "bookkeeping", "我们合作社的账没人会做，能帮忙代账吗", {"member_type": "农民合作社"}),
    ("plain", "check_status", "上周申请的托管到现在没消息，帮我查一下进度", []),
    ("plain", "book_tuoguan", "土地托管有没有补贴，补多少", []),   # INTENTS rule 3 (relabelled after the first run)
    ("plain", "human_agent", "我要找人工客服", []),
    ("plain", "greeting", "你好，在吗", []),
    ("plain", "thanks_bye", "好的谢谢，没别的事了", []),
    ("plain", "out_of_scope", "明天天气怎么样，会下雨吗", []),
    # terse
    ("terse", "book_tuoguan", "托管{mu}亩", ["mu"]),
    ("terse", "loan_products", "贷款", []),
    ("terse", "find_service_center", "服务中心地址", []),
    ("terse", "check_status", "进度", []),
    ("terse", "human_agent", "转人工", []),
    ("terse", "supplies", "买化肥", []),
    ("terse", "sell_produce", "卖{crop}", ["crop"]),
    ("terse", "thanks_bye", "谢了", []),
    # colloquial, 重庆话
    ("colloquial", "book_tuoguan", "{I}屋头{mucn}亩{crop}莫得人搞，你们{how}收费嘛", ["mucn", "crop"], "cq"),
    ("colloquial", "loan_products", "手头有点紧，想整点贷款买肥料，{ok}", [], "cq"),
    ("colloquial", "find_service_center", "{town}那点有没得你们的服务站哦，在哪堂子", ["town"], "cq"),
    ("colloquial", "sell_produce", "屋头{crop}卖不脱了，你们收不收嘛", ["crop"], "cq"),
    ("colloquial", "check_status", "喊你们来打药喊了好几天了，好久来嘛", [], "cq"),
    ("colloquial", "human_agent", "莫跟我扯那些，喊个人来跟我说", [], "cq"),
    ("colloquial", "join_nonghelian", "入你们那个会要交好多钱哦", [], "cq"),
    ("colloquial", "supplies", "有没得便宜点的化肥卖嘛，要得个十来包", [], "cq"),
    # colloquial, 鲁西
    ("colloquial", "book_tuoguan", "俺家{mucn}亩{crop}，想叫恁帮着种，中不中", ["mucn", "crop"], "sd"),
    ("colloquial", "loan_products", "俺想贷点钱买化肥，咋弄啊", [], "sd"),
    ("colloquial", "find_service_center", "恁那服务中心在哪儿啊，俺{town}的", ["town"], "sd"),
    ("colloquial", "sell_produce", "俺家的{crop}咋卖啊，恁收不收", ["crop"], "sd"),
    ("colloquial", "check_status", "俺前几天报的托管，咋还没信儿", [], "sd"),
    ("colloquial", "supplies", "明儿个能给俺送点麦种不", [], "sd"),
    ("colloquial", "human_agent", "俺不跟机器说，叫个人来", [], "sd"),
    ("colloquial", "join_nonghelian", "俺想入社，咋弄", [], "sd"),
    # negation
    ("negation", "book_tuoguan", "不是要贷款，是想问托管{mucn}亩{crop}咋收费", ["mucn", "crop"]),
    ("negation", "loan_products", "我不是来买化肥的，是想问贷款的事", []),
    ("negation", "human_agent", "不要机器人回答，我要找真人", []),
    ("negation", "check_status", "不是新申请，是问上次报的烘干到哪一步了", []),
    ("negation", "find_service_center", "不用送货，我自己去拿，你们店在哪", []),
    ("negation", "sell_produce", "不买东西，我是想把{crop}卖给你们", ["crop"]),
    ("negation", "join_nonghelian", "没说要入社，就问一下入社有啥好处", []),   # INTENTS rule 6 (relabelled after the first run)
    ("negation", "supplies", "不贷款，就想买点农药", []),
    ("negation", "join_nonghelian", "我不是问政策，是想加入合作社", []),
    ("negation", "bookkeeping", "不用托管，就是账目想请你们帮忙记", []),
    # typo
    ("typo", "book_tuoguan", "想约个机耕，{mu}亩地，下周能来吗，在{town}", ["mu", "town"]),
    ("typo", "loan_products", "带款利息多少", []),
    ("typo", "find_service_center", "服物中心在哪", []),
    ("typo", "join_nonghelian", "怎么加人农合联", []),
    ("typo", "check_status", "我的申情批了没", []),
    ("typo", "human_agent", "转人宫", []),
    ("typo", "supplies", "有没有尿索卖", []),
    ("typo", "bookkeeping", "代帐怎么收费", []),
    ("typo", "book_tuoguan", "托管有补帖吗", []),   # INTENTS rule 3 (relabelled after the first run)
    # numbers
    ("numbers", "loan_products", "想贷{amtw}，买台小型收割机", ["amt"]),
    ("numbers", "book_tuoguan", "{mu}亩{crop}要打药，大概什么价", ["mu", "crop"]),
    ("numbers", "loan_products", "贷款{amtcn}块钱能批不", ["amt"]),
    ("numbers", "sell_produce", "有{crop}三千多斤要卖，{town}的", ["crop", "town"]),
    ("numbers", "supplies", "要二十包复合肥，多少钱一包", []),
    ("numbers", "book_tuoguan", "{mucn}来亩{crop}想全程托管", ["mucn", "crop"]),
    ("numbers", "check_status", "申请都交了十来天了还没动静", []),
    # long: a story, then the ask
    ("long", "book_tuoguan", "{I}今年六十好几了，儿子在外头打工，屋里{mu}亩{crop}一个人实在弄不过来，去年就差点没收回来。听说你们可以帮着种，想问下全程托管一亩地要多少钱", ["mu", "crop"]),
    ("long", "loan_products", "去年{crop}遭了灾，收成不好，今年想多种点把亏的补回来，可是买种子化肥手头钱不够，你们这有没有贷款可以办", ["crop"]),
    ("long", "human_agent", "上个月请你们的人来打药，说好的三天打完，结果拖了一个星期，药还打得不匀，{crop}死了一片，这个事我要投诉，找你们负责人", ["crop"]),
    ("long", "check_status", "我是{town}的，前些天在你们这报了机收，留了电话，当时说一周内安排，现在都过了十天了，到底还来不来", ["town"]),
    ("long", "join_nonghelian", "我们村好几户都种{crop}，各卖各的价格压得很低，大家商量着想一起入农合联，抱团卖得好些，请问要走什么程序", ["crop"]),
    ("long", "find_service_center", "我刚从外地回来种地，对这边不熟，家在{town}，听说附近有个为农服务中心可以办很多事，请问具体在哪个位置", ["town"]),
    ("long", "policy_faq", "村里开会说县里在搞三位一体改革，讲了半天我也没听明白，到底是啥意思，对我们种地的人有啥好处", []),
    ("long", "sell_produce", "今年雨水好，{crop}长得特别好，收了一大堆，镇上的贩子给的价太低了，不想便宜卖，你们能不能帮忙找个销路", ["crop"]),
    ("long", "out_of_scope", "我儿子在城里上班，孙子明年要上小学了，户口在村里，想问一下孩子上学的户口迁移怎么办", []),
    # multi-intent: label is the main ask
    ("multi", "book_tuoguan", "想约下周机收，顺便问下你们收不收{crop}", ["crop"]),
    ("multi", "loan_products", "想贷款买农机，另外你们服务中心几点上班", []),
    ("multi", "check_status", "我的烘干预约到哪步了，还有化肥什么时候到", []),
    ("multi", "supplies", "要买两袋尿素，对了，你们能不能代账", []),
    ("multi", "find_service_center", "服务中心在哪，谢谢", []),
    ("multi", "join_nonghelian", "你好，想入会，入了能不能便宜买农资", []),
    # voice-input transcripts: homophones, no punctuation
    ("voice", "book_tuoguan", "我想约个菲房打药{mu}亩{crop}", ["mu", "crop"]),
    ("voice", "book_tuoguan", "拖馆{mucn}亩地多少钱一亩", ["mucn"]),
    ("voice", "loan_products", "我想带宽五万块钱买农机", {"amount_yuan": 50000}),
    ("voice", "bookkeeping", "你们那个带帐服务怎么收费", []),
    ("voice", "join_nonghelian", "怎么加入龙合联", []),
    ("voice", "human_agent", "帮我转仁工", []),
    ("voice", "check_status", "我的申情到哪一步了", []),
    ("voice", "find_service_center", "为农服物中心在哪里", []),
    ("voice", "supplies", "有没有化费卖", []),
    # pinyin mixed
    ("pinyin", "loan_products", "daikuan 怎么办", []),
    ("pinyin", "book_tuoguan", "想 tuoguan {mu}亩", ["mu"]),
    ("pinyin", "human_agent", "zhuan rengong", []),
    ("pinyin", "join_nonghelian", "怎么加入 nonghelian", []),
    ("pinyin", "find_service_center", "fuwu zhongxin 在哪", []),
    # spam and other topics
    ("spam", "out_of_scope", "急用钱？无抵押秒放款，加微信dk8899", []),
    ("spam", "out_of_scope", "代开各类发票，税点低，联系13912345678", []),
    ("spam", "out_of_scope", "帮我订一张去重庆的车票", []),
    ("spam", "out_of_scope", "网上买的衣服想退货怎么弄", []),
    ("spam", "out_of_scope", "老板拖欠我三个月工钱，去哪里告他", []),
    ("spam", "out_of_scope", "高价回收旧手机，上门收，电话13800001111", []),
    ("spam", "out_of_scope", "asdkjqwe", []),
    ("spam", "out_of_scope", "帮我查一下医保交了没有", []),
    ("spam", "out_of_scope", "给我讲个笑话", []),
]

# variants of the words a farmer of each region uses
WORDS = {"cq": {"I": "我", "you": "你们", "how": "咋个", "what": "啥子", "ok": "要得不"},
         "sd": {"I": "俺", "you": "恁", "how": "咋", "what": "啥", "ok": "中不中"}}
AMOUNTS = [(30000, "3w", "三万"), (50000, "5万", "五万"), (20000, "2w", "两万"), (80000, "8万", "八万"),
           (15000, "1.5万", "一万五")]


def rows(seed: int = 15) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for county in COUNTIES:
        region = REGION.get(county, "cq")
        for tpl in T:
            style, intent, text, labels = tpl[:4]
            if len(tpl) > 4 and tpl[4] != region:
                continue
            written, crop = rng.choice(CROPS[county])
            town = rng.choice(TOWNS[county])
            mu = rng.choice(sorted(CN))
            amt, amtw, amtcn = rng.choice(AMOUNTS)
            msg = text.format(town=town, crop=written, mu=mu, mucn=CN[mu], amtw=amtw, amtcn=amtcn,
                              **WORDS[region])
            slots: dict = dict(labels) if isinstance(labels, dict) else {}
            for name in labels if isinstance(labels, list) else []:
                key, value = {"town": ("township", town), "crop": ("crop", crop), "mu": ("area_mu", mu),
                              "mucn": ("area_mu", mu), "amt": ("amount_yuan", amt)}[name]
                slots[key] = value
            out.append({"text": msg, "intent": intent, "slots": slots, "style": style,
                        "county": county, "today": TODAY})
    return out


if __name__ == "__main__":
    for row in rows():
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
