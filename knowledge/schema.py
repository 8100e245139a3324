"""Schema of a county knowledge pack: the typed objects every other package reads.

A pack is a folder `knowledge/packs/<name>/` of YAML files (see knowledge/README.md).
Facts carry a `source` naming the seed document and its section; a fact the documents do
not give is the literal placeholder `待补充` and is listed by `nongbot knowledge check`.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PLACEHOLDER = "待补充"

CenterKind = Literal["县为农服务中心", "乡镇为农服务中心", "农民合作社服务中心", "农村综合服务社", "基层供销社", "其他"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Model):
    """Where a fact comes from: seed document id (e.g. `000`) and section (e.g. `附件1.1`)."""

    doc: str
    section: str = ""


class Township(Model):
    name: str                                  # official: 石宝镇
    code: str | None = None                    # NBS code, 9 digits
    aliases: list[str] = Field(default_factory=list)  # 石宝, shibao …
    county: str | None = None                  # for multi-county packs (聊城)
    common_word_aliases: list[str] = Field(default_factory=list)  # aliases that are also ordinary words (复兴, 黄金): need a place cue
    lat: float | None = None
    lon: float | None = None


class Nonghelian(Model):
    """A 农合联: county level, township level (covers townships) or industry level."""

    name: str
    level: Literal["county", "township", "industry"]
    townships: list[str] = Field(default_factory=list)  # township level: exactly those covered
    industry: str | None = None                          # industry level: 柑橘 / 生猪 / 笋竹
    source: Source | None = None


class ServiceCenter(Model):
    code: str                                  # stable key, unique in the pack
    name: str
    kind: CenterKind
    township: str | None = None                # official township name (None for county-wide)
    address: str = PLACEHOLDER
    phone: str = PLACEHOLDER
    hours: str = PLACEHOLDER
    lat: float | None = None
    lon: float | None = None
    services: list[str] = Field(default_factory=list)   # canonical service names
    planned_count: int | None = None           # a planned network (e.g. 综合服务社 per township) rather than one site
    note: str = ""                             # what the document says about it beyond the fields
    source: Source | None = None


class Service(Model):
    """A bookable service (托管 / 社会化服务 / 代账 …) with its indicative price."""

    name: str                                  # canonical: 统防统治
    aliases: list[str] = Field(default_factory=list)    # 飞防, 打药 …
    category: str = "托管"                      # 托管 | 代账 | 流通 | 农资 | 金融 | 其他
    scope: str | None = None                   # 单环节 | 多环节 | 全程
    crops: list[str] = Field(default_factory=list)      # empty = any crop
    unit: str = "亩"
    price_yuan: float | str | None = PLACEHOLDER        # indicative price per unit, or 待补充
    source: Source | None = None


class Crop(Model):
    name: str                                  # canonical: 柑橘
    aliases: list[str] = Field(default_factory=list)    # 橘子, 柑子, 脐橙 …


class BookkeepingPackage(Model):
    name: str
    includes: list[str] = Field(default_factory=list)   # 记账 / 报税 / 年报公示 …
    max_monthly_vouchers: int | None = None
    price_yuan_per_year: float | str = PLACEHOLDER
    source: Source | None = None


class LoanProduct(Model):
    name: str                                  # 助农贷
    aliases: list[str] = Field(default_factory=list)
    bank: str = PLACEHOLDER
    who: list[str] = Field(default_factory=list)        # member types that may apply
    purposes: list[str] = Field(default_factory=list)
    amount_min_yuan: float | None = None
    amount_max_yuan: float | None = None
    term: str = PLACEHOLDER
    guarantee: str = PLACEHOLDER               # 信用 / 抵押 / 质押 / 担保 …
    collateral: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    subsidy: str | None = None
    description: str = ""
    source: Source | None = None


class FaqEntry(Model):
    id: str
    questions: list[str]                       # variants
    answer: str
    source: Source


class Target(Model):
    indicator: str
    unit: str
    values: dict[str, float | str]             # year -> target
    key: str | None = None                     # dashboard key: members, tuoguan_mu, centers …
    source: Source | None = None


class IntentExamples(Model):
    """NLU catalogue entry for one intent label: example phrases and keyword evidence."""

    phrases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class SourceDocument(Model):
    id: str                                    # 000
    title: str
    file: str                                  # seed file name


class PackInfo(Model):
    name: str                                  # zhongxian
    county: str                                # 忠县
    province: str = "重庆市"
    documents: list[SourceDocument] = Field(default_factory=list)
    default_center: str | None = None          # center code that takes what has no township
