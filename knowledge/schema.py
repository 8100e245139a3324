"""Schema of a county knowledge pack: the typed objects every other package reads.

A pack is a folder `knowledge/packs/<name>/` of YAML files (see knowledge/README.md).
Facts carry a `source` naming the seed document and its section; a fact the documents do
not give is the literal placeholder `待补充` and is listed by `nongbot knowledge check`.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PLACEHOLDER = "待补充"

# Kinds of service point as the documents name them (县/乡镇为农服务中心, 农民合作社服务中心, 农村综合服务社,
# 基层供销社, 集配中心 …): free text, since each county's document names its own.
CenterKind = str

# What a center or institution does for the forms and referrals: a form asks a pack for a role, never for a
# county's own service string (忠县 says 财务代账, 丰都 财务代理: both are `bookkeeping`).
Role = Literal["membership", "tuoguan", "finance", "bookkeeping", "supplies", "marketing", "recycling",
               "auction", "consult"]
CATEGORY_ROLES: dict[str, Role] = {"托管": "tuoguan", "代账": "bookkeeping", "流通": "marketing", "农资": "supplies",
                                   "金融": "finance"}


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
    roles: list[Role] = Field(default_factory=list)     # what forms and referrals may route here
    planned_count: int | None = None           # a planned network (e.g. 综合服务社 per township) rather than one site
    status: Literal["existing", "planned"] = "existing"  # planned: the document plans it, no site is named yet
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
    role: Role | None = None                   # None: from `category` (CATEGORY_ROLES), else consult
    source: Source | None = None

    @property
    def role_name(self) -> Role:
        return self.role or CATEGORY_ROLES.get(self.category, "consult")


class Crop(Model):
    name: str                                  # canonical: 柑橘
    aliases: list[str] = Field(default_factory=list)    # 橘子, 柑子, 脐橙 …
    activities: list[str] = Field(default_factory=list)  # work words that imply this crop: 栽秧, 打谷子 → 水稻


class County(Model):
    """A county or district of a multi-county pack (聊城: 8), recognised by name or alias."""

    name: str                                  # 临清市
    aliases: list[str] = Field(default_factory=list)    # 临清
    code: str | None = None


class Institution(Model):
    """An organisation the document sets up or relies on (农合联, 基层供销社, 合作社服务中心, 示范社, 辅导员,
    集配中心, 强村公司 …), existing or planned with its target as the document states it."""

    name: str
    kind: str
    level: str = ""                            # 市 | 县 | 乡镇 | 村
    status: Literal["existing", "planned"] = "existing"
    count: int | None = None                   # planned or existing number, when the document gives one
    target: str | None = None                  # the target in the document's words ("到2025年建成10个")
    roles: list[Role] = Field(default_factory=list)
    note: str = ""
    source: Source | None = None


class Programme(Model):
    """A programme a farmer can be referred to (废旧农膜回收, 资产拍卖, 中央厨房, 示范社评定 …)."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    role: Role | None = None
    description: str = ""
    source: Source | None = None


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
    kind: Literal["loan", "insurance", "guarantee", "fund", "subsidy", "credit"] = "loan"
    description: str = ""
    source: Source | None = None


class FaqEntry(Model):
    id: str
    questions: list[str]                       # variants
    answer: str
    source: Source
    keywords: list[str] = Field(default_factory=list)   # the clause's content words, for retrieval


class DocumentClause(Model):
    """One numbered clause of a county document, as the document words it (clauses.yaml, generated)."""

    doc: str                                   # 000
    section: str                               # 二（一）, 三（一）4, 附件1.1, 一、
    title: str = ""
    text: str


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
    number: str | None = None                  # 文号, e.g. 忠府办发〔2024〕42号


class JoinOffer(Model):
    """What "join" means in this county: the 农合联 in 忠县; a 合作社 or the 合作社服务中心's 签约服务 elsewhere."""

    name: str                                  # 农合联 | 合作社服务中心签约服务 …
    description: str = ""
    source: Source | None = None


class TuoguanOffer(Model):
    """What the 托管 booking is here, in the county's words: 农业生产托管 where a catalogue with teams and prices exists;
    a request the center's staff answer where the document names only 农业社会化服务 (南川)."""

    name: str                                  # 农业社会化服务: the menu says 预约<name>
    description: str = ""                      # said to the farmer instead of a price list and a promise
    source: Source | None = None


class PackExamples(Model):
    """The county's own words for prompts: example township, organisation name, sample requests."""

    township: str = ""                         # 石宝
    org_name: str = ""                         # 忠县某某柑橘专业合作社
    requests: list[str] = Field(default_factory=list)   # 我要给石宝镇30亩柑橘打药


class PackInfo(Model):
    name: str                                  # zhongxian
    county: str                                # 忠县
    province: str = "重庆市"
    documents: list[SourceDocument] = Field(default_factory=list)
    default_center: str | None = None          # center code that takes what has no township
    bot_name: str | None = None                # how the account presents itself; None: "<county>为农服务助手"
    offers: list[str] = Field(default_factory=list)    # intent labels offered here; empty: all 13
    join: JoinOffer | None = None
    tuoguan: TuoguanOffer | None = None
    dialect: Literal["chongqing", "luxi"] = "chongqing"  # the region's colloquial lexicon
    examples: PackExamples = Field(default_factory=PackExamples)
