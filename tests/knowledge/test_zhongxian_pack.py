"""The 忠县 pack matches its document: township→农合联 table, industry 农合联, targets, sources."""
import pytest

from knowledge import load_pack
from knowledge.routing import industry_nonghelian, nonghelian_for
from knowledge.schema import PLACEHOLDER

# 附件1.1 农合联组建计划表: lead township → every township the 农合联 covers.
TABLE_1_1 = {
    "忠州街道": ["忠州街道", "白公街道", "黄金镇"],
    "石宝镇": ["石宝镇", "涂井乡"],
    "汝溪镇": ["汝溪镇", "野鹤镇", "金声乡"],
    "马灌镇": ["马灌镇", "金鸡镇"],
    "新立镇": ["新立镇", "双桂镇"],
    "拔山镇": ["拔山镇", "花桥镇", "永丰镇"],
    "官坝镇": ["官坝镇", "石黄镇", "兴峰乡"],
    "新生街道": ["新生街道", "任家镇", "善广乡"],
    "乌杨街道": ["乌杨街道", "洋渡镇", "石子乡"],
    "东溪镇": ["东溪镇", "复兴镇", "磨子土家族乡"],
    "三汇镇": ["三汇镇"],
    "白石镇": ["白石镇"],
}
EXPECTED = {t: f"{lead}农村合作经济组织联合会" for lead, ts in TABLE_1_1.items() for t in ts}


@pytest.fixture(scope="module")
def pack():
    return load_pack("zhongxian")


def test_all_29_townships_with_codes_and_coordinates(pack):
    assert len(pack.townships) == 29
    assert {t.name for t in pack.townships} == set(EXPECTED)
    assert all(t.code and t.code.startswith("500233") and len(t.code) == 9 for t in pack.townships)
    # The divisions data has no centre for 复兴镇: routing falls back to the township mapping there.
    assert [t.name for t in pack.townships if t.lat is None] == ["复兴镇"]


@pytest.mark.parametrize("township,nonghelian", sorted(EXPECTED.items()))
def test_township_nonghelian_table_pinned_to_attachment_1_1(pack, township, nonghelian):
    assert nonghelian_for(pack, township).name == nonghelian


def test_thirteen_regional_and_three_industry_nonghelian(pack):
    levels = [n.level for n in pack.nonghelian]
    assert levels.count("county") == 1 and levels.count("township") == 12 and levels.count("industry") == 3
    assert industry_nonghelian(pack, "柑橘").name == "忠县农村合作经济组织联合会柑橘产业分会"
    assert industry_nonghelian(pack, "生猪").name == "忠县农村合作经济组织联合会生猪产业分会"
    assert industry_nonghelian(pack, "笋竹").name == "忠县农村合作经济组织联合会笋竹产业分会"
    assert industry_nonghelian(pack, "橘子").industry == "柑橘"   # colloquial crop name
    assert industry_nonghelian(pack, "水稻") is None


def test_targets_table_of_attachment_1(pack):
    by_key = {t.key: t for t in pack.targets}
    assert by_key["members"].values == {"2024": 210, "2025": 180, "total": 390}
    assert by_key["tuoguan_mu"].unit == "万亩次"
    assert by_key["tuoguan_mu"].values == {"2024": 34, "2025": 44, "2026": 56, "2027": 67, "total": 67}
    assert by_key["centers"].values["total"] == 10 and by_key["centers"].values["2023"] == 4
    assert by_key["service_cooperatives"].values["total"] == 245
    assert by_key["model_cooperatives"].values["total"] == 65
    assert by_key["outlets"].values["2024"] == 78
    assert by_key["credit_yi_yuan"].values == {"2024": 10, "2025": 13, "2026": 16, "2027": 20, "total": 20}
    assert by_key["township_nonghelian"].values["total"] == 12


def test_service_cooperative_plan_of_attachment_1_2_sums_to_245(pack):
    planned = {c.township: c.planned_count for c in pack.centers if c.kind == "农村综合服务社"}
    assert len(planned) == 29 and sum(planned.values()) == 245
    assert planned["石宝镇"] == 13 and planned["石子乡"] == 3 and planned["拔山镇"] == 14


def test_loan_products_named_in_the_text(pack):
    names = {p.name for p in pack.loan_products} | {a for p in pack.loan_products for a in p.aliases}
    for product in ["助农贷", "惠农e贷", "三社融合贷", "小额信用贷", "保单质押", "活体抵押", "圈舍抵押", "订单质押",
                    "应收账款质押", "土地经营权抵押", "林权抵押", "农机具抵押", "大棚抵押"]:
        assert product in names


def test_crops_and_services_know_colloquial_names(pack):
    crops = {a: c.name for c in pack.crops for a in c.aliases}
    assert crops["橘子"] == crops["柑子"] == "柑橘" and crops["谷子"] == "水稻" and crops["猪"] == "生猪"
    assert crops["竹笋"] == "笋竹" and crops["苞谷"] == "玉米"
    for alias in ["打药", "飞防", "植保"]:
        assert pack.service(alias).name == "统防统治"
    assert pack.service("收割").name == "机收"
    assert pack.service("全程服务").name == "全程托管"
    assert pack.service("代账").name == "财务代账"


def test_unknown_facts_are_placeholders_not_inventions(pack):
    assert all(c.phone == PLACEHOLDER and c.address == PLACEHOLDER for c in pack.centers)
    assert all(s.price_yuan == PLACEHOLDER for s in pack.services)
    assert all(p.bank == PLACEHOLDER for p in pack.loan_products)


def test_faq_covers_every_section_of_the_plan(pack):
    sections = " ".join(f.source.section for f in pack.faq)
    for heading in ["一、", "二（一）", "二（二）", "二（三）", "二（四）", "三（一）", "三（二）", "三（三）", "四（一）",
                    "四（二）", "四（三）", "四（四）", "五（一）", "五（二）", "五（三）", "六", "七（一）", "七（二）", "七（三）"]:
        assert heading in sections, heading
