"""Daily supervision digests (BRIEF §2.5): one Chinese e-mail/SMS text per jurisdiction per day, never per record.

The caller decides what is new, still open and at risk for a jurisdiction (de-duplication, acknowledgements and
escalation live with the breach store); this module only turns those lists into a subject, a plain-text body and
SNS message attributes. Nothing to say means no digest (``None``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict

from shared.categories import CATEGORY_INFO, Category
from shared.deadlines import KIND_ZH, LEVEL_ZH, OVERDUE_KINDS, BreachKind, Level

SUBJECT_MAX = 100
DEFAULT_MAX_ITEMS = 20  # per list in the body; the full list is behind the link
TOP_DEPARTMENTS = 5

# Age buckets of still-open breaches, oldest first (working days late; 0 happens for a weekend-only delay).
AGE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (11, None, "超期10个工作日以上"),
    (6, 10, "超期6至10个工作日"),
    (0, 5, "超期5个工作日以内"),
)

# Severity thresholds: the oldest open breach, or the number of breaches in the digest.
HIGH_LATE, HIGH_COUNT = 10, 50
MEDIUM_LATE, MEDIUM_COUNT = 5, 10

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}


class DigestItem(BaseModel):
    """One breach (or at-risk record) as a digest lists it."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    breach_id: str
    kind: BreachKind
    record_id: str
    department: str
    department_name: str
    category: str
    doc_no: str
    subject_name: str
    due: date
    working_days_late: int  # for at_risk: working days left
    opened_on: date


class Digest(BaseModel):
    """A composed digest, ready for the notices topic."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    jurisdiction: str
    level: Level
    as_of: date
    subject: str
    body: str
    attributes: dict[str, str]
    breach_ids: list[str]


def breach_list_url(region: str, base_url: str = "") -> str:
    """Link to the jurisdiction's open breaches: the API path, absolute when a base URL is configured."""
    path = "/breaches?" + urlencode({"region": region, "status": "open"})
    return base_url.rstrip("/") + path if base_url else path


def severity(new: int, still_open: int, max_late: int) -> str:
    """ "high", "medium" or "low" from the counts and the most working days late of any breach."""
    total = new + still_open
    if max_late > HIGH_LATE or total >= HIGH_COUNT:
        return "high"
    if max_late > MEDIUM_LATE or total >= MEDIUM_COUNT:
        return "medium"
    return "low"


def _category_zh(category: str) -> str:
    try:
        return CATEGORY_INFO[Category(category)].name_zh
    except ValueError:
        return category


def _order(item: DigestItem) -> tuple[int, str, str, str]:
    # Oldest first; then a fixed order so the same input always gives the same text.
    return (-item.working_days_late, item.department, item.record_id, item.kind.value)


def _line(n: int, item: DigestItem) -> str:
    head = f"{n}. 【{KIND_ZH[item.kind]}】{item.department_name}｜{_category_zh(item.category)}｜"
    head += f"{item.doc_no or '无文号'}｜{item.subject_name or '未记名'}｜"
    if item.kind is BreachKind.AT_RISK:
        return head + f"期限{item.due.isoformat()}，剩余{item.working_days_late}个工作日"
    return head + f"期限{item.due.isoformat()}，超期{item.working_days_late}个工作日"


def _capped(items: Sequence[DigestItem], max_items: int) -> list[str]:
    ordered = sorted(items, key=_order)
    lines = [_line(i, item) for i, item in enumerate(ordered[:max_items], start=1)]
    if len(ordered) > max_items:
        lines.append(f"……另有{len(ordered) - max_items}条，详见清单")
    return lines


def _dedupe(items: Iterable[DigestItem], seen: set[str]) -> list[DigestItem]:
    out: list[DigestItem] = []
    for item in items:
        if item.breach_id not in seen:
            seen.add(item.breach_id)
            out.append(item)
    return out


def _subject(name: str, as_of: date, new: int, still_open: int, at_risk: int) -> str:
    tail = f" {as_of.isoformat()}：新增超期{new}条，未整改{still_open}条，临期{at_risk}条"
    room = SUBJECT_MAX - len("【归集督办】") - len(tail)
    if len(name) > room:
        name = name[: max(room - 1, 0)] + "…"
    return f"【归集督办】{name}{tail}"


def compose_digest(
    *,
    jurisdiction: str,
    jurisdiction_name: str,
    level: Level,
    as_of: date,
    new: Sequence[DigestItem],
    still_open: Sequence[DigestItem],
    at_risk: Sequence[DigestItem],
    list_url: str,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> Digest | None:
    """The day's digest for one jurisdiction, or None on a quiet day (nothing new, open or at risk)."""
    if max_items < 1:
        raise ValueError(f"max_items must be >= 1, got {max_items}")
    # An id listed twice (e.g. new and still open) is announced once, in the first list it appears in.
    seen: set[str] = set()
    new_items = _dedupe(new, seen)
    open_items = _dedupe(still_open, seen)
    risk_items = _dedupe(at_risk, seen)
    if not (new_items or open_items or risk_items):
        return None

    # "Open" counts every breach awaiting action: the still-open ones plus new ones of an overdue kind.
    open_all = open_items + [i for i in new_items if i.kind in OVERDUE_KINDS]
    max_late = max((i.working_days_late for i in new_items + open_items), default=0)
    sev = severity(len(new_items), len(open_items), max_late)
    present = {i.kind for i in new_items + open_items + risk_items}
    kinds = [k for k in BreachKind if k in present]
    departments = sorted({i.department for i in new_items + open_items + risk_items})

    lines: list[str] = [
        f"{jurisdiction_name}（{jurisdiction}，{LEVEL_ZH[level]}）涉企信息归集公示督办日报",
        f"日期：{as_of.isoformat()}",
        "",
        "一、概况",
        f"新增超期{len(new_items)}条；未整改{len(open_all)}条；临期预警{len(risk_items)}条。",
    ]
    by_kind = Counter(i.kind for i in new_items + open_items + risk_items)
    lines.append("按类型：" + "；".join(f"{KIND_ZH[k]}（{k.value}）{by_kind[k]}条" for k in kinds) + "。")
    lines.append(f"严重程度：{SEVERITY_ZH[sev]}（{sev}）；最长超期{max_late}个工作日。")

    lines += ["", f"二、新增超期（{len(new_items)}条）"]
    lines += _capped(new_items, max_items) if new_items else ["无。"]

    lines += ["", f"三、此前通报仍未整改（{len(open_items)}条）"]
    if not open_items:
        lines.append("无。")
    for low, high, label in AGE_BUCKETS:
        bucket = [i for i in open_items if i.working_days_late >= low and (high is None or i.working_days_late <= high)]
        if bucket:
            lines.append(f"{label}（{len(bucket)}条）：")
            lines += _capped(bucket, max_items)
    # Negative counts cannot come from deadlines.evaluate; list them rather than drop them silently.
    odd = [i for i in open_items if i.working_days_late < 0]
    if odd:
        lines.append(f"其他（{len(odd)}条）：")
        lines += _capped(odd, max_items)

    lines += ["", f"四、临期预警（{len(risk_items)}条）"]
    lines += _capped(risk_items, max_items) if risk_items else ["无。"]

    lines += ["", f"五、未整改较多的部门（前{TOP_DEPARTMENTS}名）"]
    per_dept = Counter(i.department for i in open_all)
    names = {i.department: i.department_name for i in open_all}
    ranked = sorted(per_dept.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_DEPARTMENTS]
    if ranked:
        lines += [f"{n}. {names[code]}（{code}）：{count}条" for n, (code, count) in enumerate(ranked, start=1)]
    else:
        lines.append("无。")

    lines += ["", f"完整清单：{list_url}", "本邮件由归集监测系统自动发送。"]

    attributes = {
        "region": jurisdiction,
        "level": level.value,
        "severity": sev,
        "new_count": str(len(new_items)),
        "open_count": str(len(open_all)),
        "at_risk_count": str(len(risk_items)),
        "kinds": ",".join(k.value for k in kinds),
        "departments": ",".join(departments),
    }
    return Digest(
        jurisdiction=jurisdiction,
        level=level,
        as_of=as_of,
        subject=_subject(jurisdiction_name, as_of, len(new_items), len(open_all), len(risk_items)),
        body="\n".join(lines),
        attributes=attributes,
        breach_ids=[i.breach_id for i in new_items + open_items + risk_items],
    )
