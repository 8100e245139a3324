"""重庆话, voice-input homophones, needs without the service noun, refusals and adjacent slots."""
from datetime import date

import pytest

TODAY = date(2026, 11, 23)   # Monday


@pytest.mark.parametrize("text, normalized", [
    ("这个是搞啥子的", "这个是做什么的"),        # nested dialect words: 啥子 → 什么, then 搞什么 → 做什么
    ("摆哈龙门阵", "聊天"),                      # filler 哈 removed, then 摆龙门阵 → 聊天
    ("好久没来了", "很久没来了"),                # 好久没 is "long time no", not 什么时候
    ("好久来", "什么时候来"),
    ("橘子卖不脱", "橘子卖不出去"),
    ("喊个人来", "叫个人来"),
    ("咋个整", "怎么办"),
    ("同防同治", "统防统治"), ("红干", "烘干"), ("鸡耕", "机耕"), ("贷帐", "代账"), ("带宽", "贷款"),
])
def test_dialect_and_voice_homophones_are_normalized(nlu, text, normalized):
    assert nlu.normalize(text).text == normalized


def test_nested_replacement_keeps_offsets_in_the_original(nlu):
    text = "为农服务中心是搞啥子的"
    norm = nlu.normalize(text)
    i = norm.text.index("做什么")
    s, e = norm.original_span(i, i + 3)
    assert text[s:e] == "搞啥子"


@pytest.mark.parametrize("text, intent", [
    # a field job asked for without the service noun
    ("能派台机器过来不", "book_tuoguan"),
    ("帮我把屋后那块田犁了", "book_tuoguan"),
    ("有人来打药没得", "book_tuoguan"),
    ("找个人来帮我把油菜割了", "book_tuoguan"),
    # money, accounts and selling without the product noun
    ("钱不够周转咋个办", "loan_products"),
    ("社里的账不会做", "bookkeeping"),
    ("屋头的东西卖不出去", "sell_produce"),
    # what a center is (rule 6 and the policy list) vs where it is
    ("为农服务中心是干什么的", "policy_faq"),
    ("为农服务中心是搞啥子的哦", "policy_faq"),
    ("为农服务中心在哪点", "find_service_center"),
    # progress phrased by elapsed time or dialect; a bare question ending in 没有 is not progress
    ("入会材料交了一个星期了", "check_status"),
    ("我那个申请搞起没得", "check_status"),
    ("有啥子门路没得，钱不够周转", "loan_products"),
    # a complaint about the service outranks the service it names (rule 8)
    ("打药的师傅打一半就走了，哪个来负责", "human_agent"),
])
def test_needs_phrased_the_way_farmers_say_them(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text", ["我不想跟机器说话", "别让机器人回我了", "莫要机器回复，我要跟人讲"])
def test_refusing_the_machine_is_asking_for_a_person(nlu, text):
    parse = nlu.parse(text, explain=True)
    assert parse.intent == "human_agent"
    assert any("negated" in line for line in parse.explanation)


def test_a_negated_machine_job_is_not_a_refusal(nlu):
    assert nlu.parse("不要飞防，我要机收").intent == "book_tuoguan"


def test_phone_right_after_a_weekday(nlu):
    slots = nlu.parse("帮我把这块田犁了，下周三 13800138000", today=TODAY).slots
    assert slots["date"] == "2026-12-02" and slots["phone"] == "13800138000"
    assert slots["service"] == "机耕"
    assert nlu.parse("下周三13800138000联系我", today=TODAY).slots["phone"] == "13800138000"


def test_a_space_after_the_phone_keeps_the_next_number_apart(nlu):
    slots = nlu.parse("后天 15023456789 20亩", today=TODAY).slots
    assert slots == {"date": "2026-11-25", "phone": "15023456789", "area_mu": 20}
    assert nlu.parse("138 1234 5678").slots["phone"] == "13812345678"   # spaces inside still join


def test_spoken_phone_digits_still_join(nlu):
    assert nlu.parse("电话幺三八零零幺三八零零零").slots["phone"] == "13800138000"


@pytest.mark.parametrize("text, slots", [
    ("30亩5万", {"area_mu": 30, "amount_yuan": 50000}),
    ("贷3万5，种了15亩", {"amount_yuan": 35000, "area_mu": 15}),
    ("想贷3万5千", {"amount_yuan": 35000}),
    ("百把亩田想托管", {"area_mu": 100}),
    ("贷款十来万", {"amount_yuan": 100000}),
])
def test_adjacent_numbers_keep_their_units(nlu, text, slots):
    got = nlu.parse(text).slots
    assert {k: got.get(k) for k in slots} == slots


@pytest.mark.parametrize("text, slot", [
    ("我们几户想把田包给你们种", "service"),    # 把田 is not 耙田
    ("橘子保险一亩交好多钱", "service"),        # 子保 is not 植保
    ("孙子考大学有奖励没得", "crop"),           # 孙子 is not 笋子
])
def test_sound_matches_do_not_invent_slots(nlu, text, slot):
    assert slot not in nlu.parse(text).slots


def test_a_county_service_alias_is_intent_evidence(nlu):
    assert nlu.parse("你们那个全包一亩好多钱").intent == "book_tuoguan"



@pytest.mark.parametrize("text", ["你们是干什么的", "你是机器人吗", "你们有哪些服务", "请问你们是哪个单位"])
def test_asking_what_this_account_is_is_a_greeting(nlu, text):
    assert nlu.parse(text).intent == "greeting"


def test_asking_what_an_organisation_is_stays_policy(nlu):
    assert nlu.parse("农合联是干什么的").intent == "policy_faq"
    parse = nlu.parse("你们是干什么的，我想贷款")
    assert parse.intent == "loan_products" and "greeting" in parse.secondary_intents


def test_an_ask_after_thanks_and_a_side_marker_is_the_ask(nlu):
    parse = nlu.parse("谢谢啊，对了，收割机下周能来吗")
    assert parse.intent == "book_tuoguan" and "thanks_bye" in parse.secondary_intents


def test_background_out_of_scope_does_not_hide_the_request(nlu):
    assert nlu.parse("家里老人看病花了钱，手头紧，想贷点款").intent == "loan_products"
    assert nlu.parse("加微信领取无抵押贷款，秒到账").intent == "out_of_scope"   # spam words still decide


def test_a_complaint_outranks_progress(nlu):
    assert nlu.parse("上回约的打药效果很差，能不能退钱").intent == "human_agent"


def test_typed_latin_keywords_stand_alone(nlu):
    assert nlu.parse("nonghelian shi shenme").intent == "policy_faq"   # not the "hi" inside "shi"
    assert nlu.parse("hi").intent == "greeting"


def test_a_longer_word_weighs_what_its_parts_weigh(nlu):
    assert nlu.parse("订单质押是什么意思，能贷多少").intent == "loan_products"


def test_a_request_only_a_phrase_resembles_loses_to_a_said_hello(nlu):
    assert nlu.parse("喂，有没得人哦").intent == "greeting"


@pytest.mark.parametrize("text, intent", [
    ("帮我们家庭农场报一下税", "bookkeeping"), ("入了会有啥好处", "join_nonghelian"),
    ("贷了款还能再贷吗", "loan_products"), ("记个账多少钱", "bookkeeping"),
])
def test_separable_words_match_with_a_measure_word_inside(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_manual_field_work_is_not_a_human_agent(nlu):
    assert nlu.parse("机器进不去，你们人工栽秧要得不").intent == "book_tuoguan"


def test_voice_slips_that_only_a_folded_sound_explains(nlu):
    assert nlu.parse("我要找客户").intent == "human_agent"           # f/h merged in 重庆话: 客户 ≈ 客服
    assert nlu.parse("合作设报税").intent == "bookkeeping"            # the 社报 of 合作社报税 is no 社保


def test_ahead_of_time_is_not_the_past(nlu):
    assert nlu.parse("请问飞防要提前几天预约").intent == "book_tuoguan"
    assert nlu.parse("前几天约的飞防还没来").intent == "check_status"


def test_a_center_named_after_supplies_is_still_a_center(nlu):
    assert nlu.parse("附近有没有农资服务站").intent == "find_service_center"


@pytest.mark.parametrize("text, intent", [
    ("那块坡地我种不动了，你们要不要来种", "book_tuoguan"),
    ("谷子黄了，机器好久能下田", "book_tuoguan"),
    ("我想把账交给你们管，要得不", "bookkeeping"),
    ("你们的机手把我的田埂压坏了", "human_agent"),
])
def test_more_ways_farmers_ask(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_buying_a_machine_is_no_booking_of_its_service(nlu):
    parse = nlu.parse("想买台收割机，能贷款吗")
    assert parse.intent == "loan_products" and "service" not in parse.slots


def test_spam_anywhere_makes_the_message_spam(nlu):
    assert nlu.parse("恭喜获得无息贷款资格，点击领取").intent == "out_of_scope"
    assert nlu.parse("恭喜发财，我想贷款").intent == "loan_products"


def test_an_unrelated_complaint_is_no_complaint_about_the_service(nlu):
    assert nlu.parse("隔壁的狗把我鸡咬死了咋办").intent == "out_of_scope"


@pytest.mark.parametrize("text, intent", [
    ("橘子树生虫了，你们有没得人来打一道", "book_tuoguan"),     # a field problem + someone to come
    ("田头的水稻倒伏了，机器还收得了不", "book_tuoguan"),
    ("种植保险今年怎么赔的", "loan_products"),                  # 种植保险 holds no 植保
    ("合作社每年要交哪些税，你们能办吗", "bookkeeping"),         # 交税 with 哪些 inside
    ("哪里能买到脱毒马铃薯种", "supplies"),
    ("请问这是农合联助手吗", "greeting"),
])
def test_field_problems_insurance_taxes_seed_and_the_account(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_declining_with_nothing_else_is_a_goodbye(nlu):
    assert nlu.parse("不用帮我预约了，我自己找了人").intent == "thanks_bye"
    assert nlu.parse("不用帮我约机收，我要烘干").intent == "book_tuoguan"


def test_learning_a_technique_is_training_not_booking(nlu):
    assert nlu.parse("哪里可以学无人机飞防技术").intent == "policy_faq"
    assert nlu.parse("无人机飞防多少钱一亩").intent == "book_tuoguan"


def test_a_subsidy_for_one_bookable_service_belongs_to_it(nlu):   # INTENTS.md rule 3
    assert nlu.parse("粮食烘干有没有补贴政策").intent == "book_tuoguan"
    assert nlu.parse("种粮补贴怎么领").intent == "policy_faq"


def test_an_approved_loan_in_a_question_is_no_progress_ask(nlu):
    assert nlu.parse("贷款批下来的钱能买农机吗").intent == "loan_products"
    assert nlu.parse("贷款批下来没得").intent == "check_status"


def test_no_catalogue_word_shrinks_to_one_character_when_normalized(nlu):
    """A filler inside a keyword (人呢 → 人) would make one character evidence everywhere."""
    from intents.catalogue import build_catalogue
    for name, entry in build_catalogue().items():
        for word in [*entry.keywords, *entry.when_negated]:
            normalized = nlu.normalize(word).text.replace("|", "")
            assert len(normalized) >= min(2, len(word)), (name, word, normalized)


@pytest.mark.parametrize("text, intent", [
    ("明天下雨的话飞防还来吗", "check_status"), ("说好今天来收谷子，人呢", "check_status"),
    ("你们那个托管队的人不讲理，我要找负责人", "human_agent"), ("嗨", "greeting"), ("哈喽", "greeting"),
])
def test_booked_jobs_that_do_not_come_and_rude_crews(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text, intent", [
    ("有没有适合山区的小型农机卖", "supplies"), ("我有两万斤玉米要卖", "sell_produce"),
    ("新农合怎么交", "out_of_scope"),                       # medical insurance, not 农合联
    ("我对你们的服务很有意见", "human_agent"),
])
def test_for_sale_vs_to_sell_and_other_lookalikes(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text, intent", [
    ("下个月3号来给柑橘施有机肥，二十亩", "book_tuoguan"),   # rule 7: the workers apply it
    ("施肥用的复合肥哪里买", "supplies"),                      # buying it
    ("飞防预约成功了吗", "check_status"),
    ("帮我订个外卖", "out_of_scope"),
])
def test_applying_vs_buying_fertilizer_and_small_asks(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text, normalized", [
    ("你们来得到不", "你们能来吗"),              # V得到不 = "can V?"
    ("保险赔得成不", "保险能赔吗"),
    ("贷不贷得到", "能不能贷"),                  # V不V得到
    ("你们做得来不", "你们会做吗"),              # V得来不 = "know how to V?"
    ("是不是硬要入", "是不是必须入"),            # 硬要/非要 = must
    ("那片竹子没得人打整", "那片竹子没有人打理"),
    ("入会划不划得来", "入会值不值得"),
    ("二天再说", "改天再说"), ("不存在", "没关系"),
    ("我们合作社想加进去", "我们合作社想加入"),
    ("利钱好多", "利息多少"),
    ("你这个是干啥子的", "你这个是做什么的"),  # not 做什什么: 干啥 must not leave 么子 behind
    ("师傅来剪一回收好多", "师傅来剪一次收多少"),  # 一回 = once, so no 回收 (recycling) across words
    ("农药瓶统一回收", "农药瓶统一回收"),
    ("肥料送拢没得", "肥料送到没有"),
])
def test_chongqing_words_and_constructions_are_normalized(nlu, text, normalized):
    assert nlu.normalize(text).text == normalized


def test_a_construction_keeps_offsets_in_the_original(nlu):
    text = "收割机来得到不"
    norm = nlu.normalize(text)
    s, e = norm.original_span(norm.text.index("能来吗"), norm.text.index("能来吗") + 3)
    assert text[s:e] == "来得到不"


@pytest.mark.parametrize("text, intent", [
    ("我屋头那片竹子没得人打整，交给你们管要得不", "book_tuoguan"),
    ("广柑树好几年没剪过了，师傅来剪一回收好多", "book_tuoguan"),
    ("我们合作社想加进去，要拿些啥子材料", "join_nonghelian"),
    ("上个礼拜喊的收割机，到今天都没得人影子", "check_status"),   # a past 喊/叫 is a past request
    ("入农合联是不是硬要入哦，不入要遭罚不", "policy_faq"),        # 硬要 = 必须: is joining compulsory
    ("我们是家庭农场，入你们那个农合联要得不", "join_nonghelian"),  # 入 … 农合联 with words between
    ("莫喊人来打药了，我自己打，就是想买点药", "supplies"),         # 莫 = 别: a negation
    ("打的药一点用都没得，虫子还是那么多", "human_agent"),          # no effect: a complaint
    ("你这个是干啥子的", "greeting"),
    ("二天再来问", "thanks_bye"),
])
def test_chongqing_asks_by_word_class_and_construction(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_a_chongqing_crop_name_fills_the_slot(nlu):
    assert nlu.parse("广柑树要剪枝了").slots.get("crop") == "柑橘"
    assert "crop" not in nlu.parse("你说些啥子，牛头不对马嘴").slots


@pytest.mark.parametrize("text, intent", [
    ("屋头要买化肥农药，钱一时凑不齐", "loan_products"),                       # money short decides
    ("你们的飞机把我邻居的菜打死了，人家找我赔，我找哪个", "human_agent"),      # damage by the service
    ("打个电话给我嘛，打字打不来", "human_agent"),
    ("农合联入了会不会少交税", "policy_faq"),                                   # tax policy (rule 5)
    ("你们这是政府的号不是", "greeting"),
    ("每回都说有人联系，到现在一个电话都没接到，你们到底有没得人管事", "human_agent"),
])
def test_chongqing_complaints_money_and_the_account(nlu, text, intent):
    assert nlu.parse(text).intent == intent


def test_a_vague_tens_of_mu_is_no_area(nlu):
    assert "area_mu" not in nlu.parse("种了几十亩柑子").slots


def test_without_x_describing_what_is_wanted_is_no_refusal(nlu):
    assert nlu.parse("有没得不要利息的那种扶持款").intent == "loan_products"
    assert nlu.parse("不用抵押的贷款有没有").intent == "loan_products"
    assert nlu.negation(nlu.normalize("不要复合肥的，要有机肥的").text)   # "not the compound one" still refuses


@pytest.mark.parametrize("text, intent", [
    ("社里一年进进出出的钱没人算得清楚，想请个专门的人", "bookkeeping"),
    ("工商那边喊我们年底前把年度报告交了，我们不会", "bookkeeping"),     # 年度报告 = 年报
    ("秧田要耙，牛儿老了拉不动了，你们机器来一趟", "book_tuoguan"),       # a field and the job it needs
    ("你这说的牛头不对马嘴，换个懂的来", "human_agent"),
    ("直接给我接个能说话的人", "human_agent"),
    ("我要告你们那个开收割机的，把我的谷子碾得稀烂", "human_agent"),
    ("约好的无人机是不是把我忘了哦", "check_status"),
    ("你是真人还是电脑哦", "greeting"),
    ("屋头想盖个猪圈，手上没得余钱，信用社能帮忙不", "loan_products"),
])
def test_asks_without_the_usual_nouns(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text, intent", [
    ("贷款申请交上去半个月了，还没得个准信", "check_status"),
    ("不想贷款了，取消我那个申请", "check_status"),          # cancelling a request is about that request
    ("农合联跟合作社有啥子不一样", "policy_faq"),
    ("柑子熟了，今年哪个老板在收", "sell_produce"),
    ("你们这个是干啥子的号", "greeting"),
    ("入会有什么号处", "join_nonghelian"),                    # 号处 is a slip for 好处, not "what account"
])
def test_progress_cancel_difference_buyers_and_the_account(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text, slot, value", [
    ("贩子只给六块钱一斤", "amount_yuan", None),          # a unit price is no sum asked for
    ("想贷五万块钱搞养殖", "amount_yuan", 50000),
    ("谷子湿起的，你们那点烘得到不", "service", "烘干"),
    ("打虫的药在哪点买得到", "service", None),             # a product, not the spraying service
    ("村委想把撂荒地托管出去", "member_type", "村集体"),
    ("我一个种菜的散户", "crop", "蔬菜"),
])
def test_chongqing_slot_words(nlu, text, slot, value):
    assert nlu.parse(text).slots.get(slot) == value


@pytest.mark.parametrize("text, intent", [
    ("柑子园的活路太恼火了，干脆全部包给你们，撇脱", "book_tuoguan"),
    ("打药的把农药洒到我鱼塘里头了，鱼死了一片，你们咋个说", "human_agent"),   # demanding an answer for damage
    ("早哦，有人上班没得", "greeting"),
    ("我们农场的财务能不能外包给你们", "bookkeeping"),                         # 包给你们 alone is no field job
])
def test_handing_over_the_work_demanding_an_answer_and_opening_hours_small_talk(nlu, text, intent):
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize("text", ["屋头三十亩谷子割得不", "我是金鸡的，谷子割得不", "麦子好久能割", "那几亩苞谷要割了"])
def test_a_crop_with_the_bare_verb_to_cut_is_a_harvest_booking(nlu, text):
    assert nlu.parse(text).intent == "book_tuoguan"


@pytest.mark.parametrize("text", ["谷子割得不", "那几亩苞谷要割了", "麦子帮我割一下"])
def test_cutting_a_crop_is_the_harvest_service(nlu, text):
    assert nlu.parse(text).slots.get("service") == "机收"


@pytest.mark.parametrize("text, normalized", [("谷子割得不", "谷子能割吗"), ("田犁得不", "田能犁吗"),
                                              ("记得不", "记得不")])  # only field-work verbs
def test_verb_de_bu_on_field_work_asks_whether_it_can_be_done(nlu, text, normalized):
    assert nlu.normalize(text).text == normalized
