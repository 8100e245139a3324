"""The one routing decision (knowledge.routing.route): a table of cases, each with its reason."""
from __future__ import annotations

import pytest

from knowledge import load_pack
from knowledge.routing import route, routes

SHIBAO = (30.421264, 108.197104)      # 石宝镇's centre
XINLI = (30.273704, 107.648797)       # 新立镇's centre

CASES = [
    # (role, township, location, bound_center) -> (center code, reason)
    # 附件1.1: these five townships belong to another 农合联 than the nearest center's.
    ("tuoguan", "洋渡镇", None, None, "zx-003-center", "coverage"),
    ("tuoguan", "白公街道", None, None, "zx-001-center", "coverage"),
    ("tuoguan", "花桥镇", None, None, "zx-116-center", "coverage"),
    ("tuoguan", "永丰镇", None, None, "zx-116-center", "coverage"),
    ("tuoguan", "磨子土家族乡", None, None, "zx-105-center", "coverage"),
    ("membership", "涂井乡", None, None, "zx-107-center", "coverage"),
    ("tuoguan", "石宝镇", None, None, "zx-107-center", "township"),
    # The farmer's latest word (the township) wins over a location sent earlier.
    ("tuoguan", "新立镇", SHIBAO, None, "zx-114-center", "township"),
    # A location alone decides the township it falls in, then coverage.
    ("tuoguan", None, SHIBAO, None, "zx-107-center", "township"),
    # A role the township's center lacks goes to the center that has it (county-wide 财务代账).
    ("bookkeeping", "石宝镇", None, None, "zx-county", "county"),
    ("bookkeeping", None, None, None, "zx-county", "county"),
    # The QR center keeps the farmer in its own group, not outside it.
    ("tuoguan", "涂井乡", None, "zx-107-center", "zx-107-center", "bound"),
    ("tuoguan", "新立镇", None, "zx-107-center", "zx-114-center", "township"),
    (None, None, None, "zx-107-center", "zx-107-center", "bound"),
    # Nothing known: the pack's default center.
    ("tuoguan", None, None, None, "zx-county", "default"),
]


@pytest.mark.parametrize("role,township,location,bound,code,reason", CASES)
def test_route_table(role, township, location, bound, code, reason):
    got = route(load_pack("zhongxian"), role, township=township, location=location, bound_center=bound)
    assert (got.center.code if got.center else None, got.reason) == (code, reason)


def test_a_service_name_routes_by_its_role():
    pack = load_pack("zhongxian")
    assert route(pack, "财务代账", township="石宝镇").center.code == "zx-county"
    assert route(pack, "统防统治", township="石宝镇").center.code == "zx-107-center"


def test_missing_role_goes_to_the_nearest_center_that_has_it_and_says_which_lacked_it(tmp_path):
    import shutil

    import yaml

    from knowledge.loader import read_pack
    dst = tmp_path / "zx"
    shutil.copytree(load_pack("zhongxian").path, dst)
    data = yaml.safe_load((dst / "centers.yaml").read_text(encoding="utf-8"))
    for c in data["centers"]:   # no center of 石宝镇农合联's townships does finance any more
        if c["township"] in ("石宝镇", "涂井乡"):
            c["roles"] = [r for r in c["roles"] if r != "finance"]
    (dst / "centers.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pack = read_pack(dst)
    got = route(pack, "finance", township="石宝镇")
    assert got.reason == "nearest" and got.home is not None and got.home.code == "zx-107-center"
    assert got.center.code != "zx-107-center" and got.distance_km is not None


def test_location_routing_reports_it_came_from_the_location():
    got = route(load_pack("zhongxian"), "tuoguan", location=XINLI)
    assert got.by_location and got.township == "新立镇" and got.distance_km is not None


def test_routes_lists_the_townships_center_first_then_its_group():
    found = routes(load_pack("zhongxian"), None, township="洋渡镇", limit=3)
    assert found[0].center.township in ("洋渡镇", "乌杨街道")
    assert all(r.center.township in ("洋渡镇", "乌杨街道", "石子乡") for r in found[:2])
