"""Information categories (BRIEF §4 slugs), who produces them and which clocks apply (BRIEF §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

COLLECT_DAYS = 7  # 信息产生之日起7个工作日内归集至工商部门
PUBLISH_DAYS = 20  # 20个工作日内(含7个工作日)公示于企业名下


class Category(StrEnum):
    """Record categories; the value is the folder name in the intake bucket."""

    REGISTRATION = "registration"
    CHATTEL_MORTGAGE = "chattel_mortgage"
    EQUITY_PLEDGE = "equity_pledge"
    IP_PLEDGE = "ip_pledge"
    TRADEMARK = "trademark"
    LICENSE = "license"
    PENALTY = "penalty"
    ABNORMAL_OPERATION = "abnormal_operation"
    SERIOUS_VIOLATION = "serious_violation"
    SPOT_CHECK = "spot_check"
    OTHER = "other"


# Folders that are not record categories.
PRODUCTION_FOLDER = "ledger"  # production lists (台账): records produced, to detect never-collected ones
PUBLISHED_FOLDER = "published"  # publication confirmations from an external publicity system
FEEDBACK_FOLDER = "feedback"  # joint-punishment feedback (联合惩戒反馈) on shared listings
INTAKE_FOLDERS: frozenset[str] = frozenset(
    {c.value for c in Category} | {PRODUCTION_FOLDER, PUBLISHED_FOLDER, FEEDBACK_FOLDER}
)


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """Static facts about one category."""

    category: Category
    name_zh: str
    # True when the category is a list with list-in / list-out actions that are separate records.
    has_action: bool


CATEGORY_INFO: dict[Category, CategoryInfo] = {
    Category.REGISTRATION: CategoryInfo(Category.REGISTRATION, "注册登记备案", False),
    Category.CHATTEL_MORTGAGE: CategoryInfo(Category.CHATTEL_MORTGAGE, "动产抵押登记", False),
    Category.EQUITY_PLEDGE: CategoryInfo(Category.EQUITY_PLEDGE, "股权出质登记", False),
    Category.IP_PLEDGE: CategoryInfo(Category.IP_PLEDGE, "知识产权出质登记", False),
    Category.TRADEMARK: CategoryInfo(Category.TRADEMARK, "商标注册", False),
    Category.LICENSE: CategoryInfo(Category.LICENSE, "行政许可", False),
    Category.PENALTY: CategoryInfo(Category.PENALTY, "行政处罚", False),
    Category.ABNORMAL_OPERATION: CategoryInfo(Category.ABNORMAL_OPERATION, "经营异常名录", True),
    Category.SERIOUS_VIOLATION: CategoryInfo(Category.SERIOUS_VIOLATION, "严重违法失信名单", True),
    Category.SPOT_CHECK: CategoryInfo(Category.SPOT_CHECK, "抽查检查结果", False),
    Category.OTHER: CategoryInfo(Category.OTHER, "其他依法应当公示的信息", False),
}


def has_collection_clock(producer_is_regulator: bool) -> bool:
    """Whether the 7-working-day collection clock applies.

    Records the market regulator produces itself (registration, chattel mortgage, equity pledge, the
    abnormal-operations list, its own serious-violation list and its own penalties …) are already at the
    regulator: only the 20-day publication clock runs. Every other department's records have both clocks.
    """
    return not producer_is_regulator


# The listings other departments restrict enterprises by (joint punishment), and report feedback on.
SHARED_LISTS: frozenset[Category] = frozenset({Category.ABNORMAL_OPERATION, Category.SERIOUS_VIOLATION})
# Chinese names of the folders that are not categories (receipts, messages).
FOLDER_ZH: dict[str, str] = {
    PRODUCTION_FOLDER: "生产台账",
    PUBLISHED_FOLDER: "公示确认",
    FEEDBACK_FOLDER: "联合惩戒反馈",
}


def folder_name_zh(folder: str) -> str:
    """The Chinese name of an intake folder: a category's name, or a special folder's."""
    try:
        return CATEGORY_INFO[Category(folder)].name_zh
    except ValueError:
        return FOLDER_ZH.get(folder, folder)
