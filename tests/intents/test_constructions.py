"""Constructions that decide by their form, not by having seen the sentence: the asking clause of a long
message, negation and contrast, complaints and 找负责人 anywhere, a named request's progress, "is it true"
about the plan, adverts and other topics."""
from __future__ import annotations

import pytest

from tests.intents.conftest import TODAY


def intent(nlu, text: str) -> str:
    return nlu.parse(text, today=TODAY).intent


@pytest.mark.parametrize("text, want", [
    # the story names one topic, the last clause asks for another
    ("去年在你们那里买的复合肥效果还可以，今年橘子又挂果了，我想贷点款扩大规模，能贷好多", "loan_products"),
    ("我们合作社去年托管了两百亩，服务还是不错，就是账一直没人管，现在想找人代账，一年好多钱", "bookkeeping"),
    ("前年买过你们的种子，去年也托管过，今年橘子多，想问下有没有人收购", "sell_produce"),
])
def test_long_message_is_classified_by_the_clause_that_asks(nlu, text, want):
    assert intent(nlu, text) == want


def test_a_short_price_question_after_its_job_keeps_the_job(nlu):
    # two short clauses: the second asks the price of the first, it names nothing of its own
    assert intent(nlu, "我屋头橘子树要剪了，你们好多钱一棵") == "book_tuoguan"


@pytest.mark.parametrize("text, want", [
    ("没说要贷款，我是问入农合联要交会费不", "join_nonghelian"),
    ("我又没说要入会，我是想问你们收不收柑橘", "sell_produce"),
    ("我没说要托管，我是想把谷子卖了", "sell_produce"),
    ("不找人工，你直接告诉我服务中心在哪里", "find_service_center"),
    ("我不要贷款要托管", "book_tuoguan"),
])
def test_negated_intent_is_dropped(nlu, text, want):
    assert intent(nlu, text) == want


def test_negated_slot_value_is_dropped(nlu):
    p = nlu.parse("不是要机收，是要烘干", today=TODAY)
    assert p.slots.get("service") == "烘干"


@pytest.mark.parametrize("text", [
    "飞防的师傅上周来打药，打完第二天就下雨了，药都白打了，我找你们负责人",
    "托管的价格我晓得了，另外叫你们领导给我回个电话",
    "种了五十亩水稻，想约机收，顺便找一下你们管事的",
])
def test_asking_for_the_person_in_charge_anywhere_is_human_agent(nlu, text):
    assert intent(nlu, text) == "human_agent"


def test_a_complaints_progress_stays_progress(nlu):
    assert intent(nlu, "问下我那个投诉处理得怎么样了") == "check_status"


@pytest.mark.parametrize("text", [
    "上个月报的托管，我这个事有人管没有",
    "贷款的申请交上去了，到底还管不管",
    "我那个预约咋还没人管",
])
def test_progress_of_a_named_request_is_check_status(nlu, text):
    assert intent(nlu, text) == "check_status"


@pytest.mark.parametrize("text", [
    "听说县里搞三位一体改革，每个乡镇都要建为农服务中心，是不是真的",
    "听别个说农合联的目标是三年内覆盖全部乡镇，有好多个服务中心，是不是哦",
])
def test_is_it_true_about_the_plan_is_policy(nlu, text):
    assert intent(nlu, text) == "policy_faq"


@pytest.mark.parametrize("text", [
    "低息贷款，无抵押，当天放款，详情加微信dk8888",
    "代开各类发票，增值税专票，联系电话13912345678",
    "急招刷单兼职，日结200，有意私聊",
    "化肥特价清仓，加vx：nz666 www.nzhf.com",
    "正规公司放款，额度5-50万，手续简单，QQ 2233445566",
])
def test_adverts_are_out_of_scope(nlu, text):
    assert intent(nlu, text) == "out_of_scope"


@pytest.mark.parametrize("text, want", [
    # a farmer who gives his number is no advert
    ("我想贷款5万，电话13912345678", "loan_products"),
    ("有没有无抵押低息的贷款", "loan_products"),
    ("废旧农膜哪里回收，我电话13800138000", "sell_produce"),
])
def test_a_farmers_own_number_or_loan_wish_is_no_advert(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text", [
    "我老汉儿在工地上干了半年，老板到现在都没给工钱，你们农合联能不能帮忙要一下",
    "工地老板欠了我三个月工资不给，咋个办",
    "帮我订一张明天去重庆的车票",
    "网上买的衣服尺码不对，怎么退货",
])
def test_other_topics_are_out_of_scope(nlu, text):
    assert intent(nlu, text) == "out_of_scope"


def test_means_over_purpose_when_a_loan_buys_something(nlu):
    assert intent(nlu, "想贷款5千买化肥") == "loan_products"
    # but the first of two equal asks stays primary
    assert intent(nlu, "我们社今年想扩大，要加入农合联，还要贷点款买设备，先问入会的事") == "join_nonghelian"


@pytest.mark.parametrize("text, want", [
    ("为农服务中心有好多个", "policy_faq"),        # the plan's figure
    ("我们镇有几个服务站", "find_service_center"),  # a place to go
])
def test_how_many_of_the_plans_organisations(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text", ["帮我取个快递", "明天帮我去银行取钱", "帮我叫个滴滴"])
def test_personal_errands_are_out_of_scope(nlu, text):
    assert intent(nlu, text) == "out_of_scope"


def test_only_the_side_ask_asks_when_the_main_clauses_tell(nlu):
    # a long message whose main clauses tell a story: its side ask is the request
    assert intent(nlu, "去年你们来打的药效果好得很，今年虫子又多起来了，邻居都在说，对了，柑橘修剪一亩好多钱") == "book_tuoguan"


@pytest.mark.parametrize("text, want", [
    ("前段时间问的贷款的事，有人管没有", "check_status"),       # the progress question in its own clause
    ("丰都这边有没得收海椒的老板", "sell_produce"),             # a buyer named by what he buys
    ("月底前能不能把化肥送过来", "supplies"),                   # a delivery asked for, not its progress
    ("开会听人说入了农合联买农资便宜，我们合作社也想进去，要带些啥子材料", "join_nonghelian"),
])
def test_round_three_constructions(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text, want", [
    ("上个月你们来帮我收了谷子，就是收得不干净，田里掉了好多，这个损失哪个来赔", "human_agent"),
    ("明年开春我想把地都托出去", "book_tuoguan"),
])
def test_round_four_constructions(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text, want", [
    # voice input without punctuation: 想问下 / 所以想 start the ask
    ("去年在你们那里买的复合肥效果还可以今年橘子又挂果了想问下贷款能贷好多", "loan_products"),
    ("我们合作社去年托管了两百亩服务还是不错就是账一直没人管想问下代账一年好多钱", "bookkeeping"),
    ("我家那二十亩田去年是请人收的今年人工太贵了所以想约你们的收割机", "book_tuoguan"),
])
def test_run_on_message_asks_where_the_ask_starts(nlu, text, want):
    p = nlu.parse(text, today=TODAY)
    assert p.intent == want and p.clause and p.clause != p.normalized.text


@pytest.mark.parametrize("text, want", [
    ("去年入了农合联，说是会员买化肥有优惠，结果我去买的时候价钱跟外面一样，这个咋个说", "human_agent"),
    ("我没得要托管的意思，只是想买几袋复合肥", "supplies"),
])
def test_round_five_constructions(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text", ["买化肥可以用惠农e贷吗", "买农机能办助农贷不"])
def test_can_a_loan_pay_for_it_asks_about_the_loan(nlu, text):
    assert intent(nlu, text) == "loan_products"


@pytest.mark.parametrize("text, want", [
    ("你们的收割机下周能排到我不", "book_tuoguan"),       # a day asked for: a booking
    ("打谷机好久能排到我这里", "check_status"),            # when my turn comes: progress
    ("有没有收花交的", "sell_produce"),                    # a buyer, the buyer left unsaid
    ("周末你们上班不", "find_service_center"),
    ("这个农业社会化服务是啥意思", "policy_faq"),          # a definition
    ("订单质押是什么意思，能贷多少", "loan_products"),     # … with what it costs: the product
    ("我想加入你们", "join_nonghelian"),
])
def test_round_six_constructions(nlu, text, want):
    assert intent(nlu, text) == want


@pytest.mark.parametrize("text, want", [
    # the last clause asks only "what good / where / how much": it asks about the topic named before it
    ("乡里在宣传三位一体改革，大喇叭天天放，我还是搞不懂，到底是什么意思，对种田的有啥好处", "policy_faq"),
    ("我在外头打了十年工刚回来种地，啥都不晓得，镇上那个为农服务中心能办好多事，请问具体在哪个位置", "find_service_center"),
    ("几个老乡商量好了，一起加入农合联，大家都觉得划得来，想问下要交好多钱", "join_nonghelian"),
])
def test_a_follow_up_question_takes_the_topic_named_before_it(nlu, text, want):
    assert intent(nlu, text) == want


def test_a_follow_up_question_after_another_topic_takes_none(nlu):
    # the clause before names another topic (a parcel): "帮我查下在哪" is not a request of ours
    assert intent(nlu, "我在镇上帮人代收快递，有个快递一直没到，帮我查下在哪") == "out_of_scope"


@pytest.mark.parametrize("text", ["我屋头三十亩苞谷莫得人搞，你们咋个收费", "果园没人管了，二十亩，你们收好多钱"])
def test_land_nobody_works_asks_for_the_work(nlu, text):
    assert intent(nlu, text) == "book_tuoguan"


def test_which_step_is_progress(nlu):
    assert intent(nlu, "我报的机收到哪步了") == "check_status"


@pytest.mark.parametrize("text", ["我儿子考公务员报名在哪里", "想学开挖掘机，哪里有培训", "迁户口要带啥子"])
def test_personal_errands_are_out_of_scope(nlu, text):
    assert intent(nlu, text) == "out_of_scope"


@pytest.mark.parametrize("text", ["你们这是什么部门", "这个平台到底是搞啥的", "这是哪个单位"])
def test_what_this_account_is_is_a_greeting_by_its_form(nlu, text):
    assert intent(nlu, text) == "greeting"


@pytest.mark.parametrize("text", ["玉米要掰了，屋头请不到人", "三十亩谷子熟了，人手不够，你们能来不"])
def test_no_hands_for_the_work_asks_for_the_work(nlu, text):
    assert intent(nlu, text) == "book_tuoguan"


def test_accounts_kept_for_me_is_bookkeeping(nlu):
    assert intent(nlu, "我们社的账目想请你们替我们做") == "bookkeeping"


def test_a_buyer_asked_over_there_sells(nlu):
    assert intent(nlu, "你们那边收菜籽不") == "sell_produce"


@pytest.mark.parametrize("text, want", [
    # the refusal after its object, at the end of its clause
    ("贷款就不用了，帮我约个机耕", "book_tuoguan"),
    ("托管我们不需要，只要买几包复合肥", "supplies"),
    ("跟贷款没关系，是问你们服务站在哪", "find_service_center"),
    ("化肥先不买了，问下烘干怎么收费", "book_tuoguan"),
])
def test_a_refusal_after_its_object_drops_the_object(nlu, text, want):
    assert intent(nlu, text) == want


def test_a_question_with_not_is_no_refusal(nlu):
    assert intent(nlu, "托管要不要，你们说个价") == "book_tuoguan"


@pytest.mark.parametrize("text", ["借3w买农机", "贷两万块，一年还得清不"])
def test_an_amount_to_borrow_asks_for_a_loan(nlu, text):
    p = nlu.parse(text, today=TODAY)
    assert p.intent == "loan_products" and p.actionable


@pytest.mark.parametrize("text", ["3000斤苞谷", "屋头谷子两千多斤", "准备把猪儿卖了"])
def test_produce_by_weight_or_wanting_to_sell_sells(nlu, text):
    assert intent(nlu, text) == "sell_produce"


def test_a_unit_price_by_the_jin_is_no_quantity_to_sell(nlu):
    assert intent(nlu, "谷子烘干一斤好多钱") == "book_tuoguan"


def test_a_person_to_talk_to_is_a_person(nlu):
    assert intent(nlu, "你们换个人来跟我讲") == "human_agent"


def test_a_person_to_do_the_work_is_a_booking(nlu):
    assert intent(nlu, "派个人来打药") == "book_tuoguan"


@pytest.mark.parametrize("text", ["那些旧地膜堆起的，拿到哪里去", "用完的药瓶子你们要不要"])
def test_used_film_and_bottles_go_to_recycling(nlu, text):
    assert intent(nlu, text) == "sell_produce"


def test_what_this_account_does_is_a_greeting(nlu):
    assert intent(nlu, "你们这个号搞啥子的") == "greeting"


@pytest.mark.parametrize("text", ["算了不办了", "好的不用了"])
def test_closing_words_before_a_refusal_still_close(nlu, text):
    assert intent(nlu, text) == "thanks_bye"


def test_asking_for_an_explanation_of_a_botched_job_is_a_complaint(nlu):
    text = "说好来打两遍药，结果打一遍人就走了，电话也打不通，这个事到底哪个管，给我个说法"
    assert intent(nlu, text) == "human_agent"


def test_produce_put_on_a_shop_online_sells(nlu):
    assert intent(nlu, "屋头的笋子想放到网上，咋个弄") == "sell_produce"


@pytest.mark.parametrize("text, want", [
    ("不是说入会不交钱吗", "join_nonghelian"),        # "wasn't it said…?" asks about it
    ("我不是说要贷款，是问托管", "book_tuoguan"),      # without the question it is still a refusal
])
def test_a_rhetorical_bushi_shuo_question_is_no_refusal(nlu, text, want):
    assert intent(nlu, text) == want
