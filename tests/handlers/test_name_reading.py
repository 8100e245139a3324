"""Free-text names: the name inside what the farmer wrote — labels, roles and endings dropped, and a role,
a surname or a kind of farmer alone is no name."""
from __future__ import annotations

import pytest

from handlers.forms import read_name, read_org_name


@pytest.mark.parametrize("said, name", [
    ("我叫王大明", "王大明"), ("王大明", "王大明"), ("名字周永福", "周永福"), ("我姓杨，杨德明", "杨德明"),
    ("我姓杨 叫德明", "杨德明"), ("理事长李成军", "李成军"), ("我罗兴就是了", "罗兴"), ("俺叫孙玉山", "孙玉山"),
    ("联系人谭明友", "谭明友"), ("村支书韩正伟", "韩正伟"), ("我是韩正伟", "韩正伟"),
])
def test_a_name_is_read_without_its_label_role_or_ending(said, name):
    assert read_name(said, None) == name


@pytest.mark.parametrize("said", ["我姓杨", "姓龚", "合作社理事长", "村主任", "普通农户", "13800138000"])
def test_a_role_a_surname_or_a_kind_of_farmer_alone_is_no_name(said):
    assert read_name(said, None) is None


@pytest.mark.parametrize("said, org", [
    ("合作社名字叫忠县橘乡柑橘种植专业合作社", "忠县橘乡柑橘种植专业合作社"),
    ("合作社叫丰都县许明寺红心柚专业合作社", "丰都县许明寺红心柚专业合作社"),
    ("名字是南川区冷水关方竹专业合作社", "南川区冷水关方竹专业合作社"),
    ("我们合作社叫江津区永兴富硒米专业合作社", "江津区永兴富硒米专业合作社"),
    ("忠县石宝柑橘专业合作社", "忠县石宝柑橘专业合作社"),
])
def test_an_organisation_name_is_read_without_its_label(said, org):
    assert read_org_name(said, None) == org
