"""Township recognition and center routing: names, aliases, typos, pinyin, coordinates, fallbacks."""
import json

import pytest
from click.testing import CliRunner

from knowledge import load_pack
from knowledge.cli import knowledge
from knowledge.routing import find_townships, nearest_centers, township_of


@pytest.fixture(scope="module")
def pack():
    return load_pack("zhongxian")


@pytest.mark.parametrize("text,township", [
    ("石宝镇有没有为农服务中心", "石宝镇"),     # official name
    ("石宝有没得服务站", "石宝镇"),             # short form
    ("汝溪的农合联怎么加入", "汝溪镇"),
    ("磨子乡", "磨子土家族乡"),
    ("十宝", "石宝镇"),                         # homophone typo, whole message
    ("我在十宝镇", "石宝镇"),
    ("乳溪镇的农合联", "汝溪镇"),
    ("shibao", "石宝镇"),                       # typed pinyin
    ("ruxi有服务站没", "汝溪镇"),
    ("我住在石子", "石子乡"),                   # common-word stem with a place cue
    ("复兴有没得服务站", "复兴镇"),
    ("我是金鸡的，想入农合联", "金鸡镇"),          # who the speaker is
    ("离花桥近的服务站", "花桥镇"),                # near a place
    ("我们永丰这边有人收橘子不", "永丰镇"),
    ("我是三汇人", "三汇镇"),
])
def test_township_recognised(pack, text, township):
    assert township_of(pack, text).name == township


@pytest.mark.parametrize("text", [
    "我想加入农合联", "托管五十亩水稻", "我要贷款5万", "今天天气怎么样", "三回了还没人回", "石子路不好走",
    "中华民族伟大复兴", "黄金价格涨了", "新生儿补贴", "实在不行就算了", "时报上说的政策", "十分感谢", "白石灰多少钱",
    "我是新来的", "离黄金周还有几天", "我们新立的规矩", "挨着的那块田",
])
def test_ordinary_sentences_name_no_township(pack, text):
    assert find_townships(pack, text) == []


def test_match_reports_span_and_score(pack):
    text = "我家在十宝镇附近"
    (m,) = find_townships(pack, text)
    assert text[m.start:m.end] == m.matched == "十宝镇"
    assert 0 < m.score < 100
    exact = find_townships(pack, "石宝镇")[0]
    assert exact.score == 100


def test_two_townships_in_one_message_do_not_overlap(pack):
    found = find_townships(pack, "石宝镇和汝溪镇哪个近")
    assert [m.township.name for m in found] == ["石宝镇", "汝溪镇"] or {m.township.name for m in found} == {"石宝镇", "汝溪镇"}


def test_point_near_shibao_routes_to_its_center(pack):
    near = nearest_centers(pack, lat=30.43, lon=108.19, service="统防统治")
    assert near[0].center.name == "石宝镇为农服务中心"
    assert near[0].offers_service and not near[0].approximate
    assert near[0].distance_km < 3
    assert [c.distance_km for c in near] == sorted(c.distance_km for c in near)


def test_centers_offering_the_service_rank_first(pack):
    near = nearest_centers(pack, township="石宝镇", service="财务代账", limit=2)
    assert near[0].center.kind == "县为农服务中心" and near[0].offers_service


def test_township_without_coordinates_falls_back_to_mapping_and_says_so(pack):
    near = nearest_centers(pack, township="复兴镇", service="统防统治")
    assert near and all(c.approximate and c.distance_km is None for c in near)
    # 复兴镇 is covered by 东溪镇农合联: its 为农服务中心 comes first.
    assert near[0].center.name == "东溪镇为农服务中心"


def test_route_cli_prints_the_contract_json(pack):
    out = CliRunner().invoke(knowledge, ["route", "十宝", "--json", "--pack", "zhongxian"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert answer["township"] == "石宝镇"
    assert answer["nonghelian"] == "石宝镇农村合作经济组织联合会"
    assert set(answer["centers"][0]) == {"name", "kind", "township", "distance_km"}
    assert "\\u" not in out.output


def test_route_cli_with_a_location_only(pack):
    out = CliRunner().invoke(knowledge, ["route", "位置", "--lat", "30.43", "--lon", "108.19", "--json"])
    answer = json.loads(out.output)
    assert answer["township"] == "石宝镇" and answer["centers"][0]["distance_km"] < 3
