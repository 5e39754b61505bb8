"""The renderings of a computed bulletin (HTML, Markdown, CSV, JSON), its announcement and a department's view of
it. HTML and Markdown are built from one document model (sections of tables, lists and charts), so the two always
hold the same content.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from typing import Any

from shared.bulletins import (
    RATE_KEYS,
    RATE_ZH,
    RECTIFY_THRESHOLD,
    SUBJECT_MAX,
    Bulletin,
    bulletin_key,
    pct,
    round_half_up,
)
from shared.exports import excel_safe
from shared.periods import date_zh


def _pp_cell(item: dict[str, Any]) -> str:
    if item["unit"] == "pp":
        change = item["change"]
        if change is None:
            return "—"
        shown = round_half_up(change, 1)
        return f"{'+' if shown > 0 else ''}{shown}个百分点"
    change = item["change"]
    return f"{'+' if change > 0 else ''}{change}"


# --- document model shared by HTML and Markdown -----------------------------------------------------------------


@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    flagged: list[bool] = field(default_factory=list)  # rows to highlight (需整改)


@dataclass
class _List:
    items: list[str]
    ordered: bool = False


@dataclass
class _Chart:
    caption: str


_Block = str | _Table | _List | _Chart


@dataclass
class _Section:
    heading: str
    blocks: list[_Block]


_UNIT_HEADER = ["应归集", "归集量", "迟报", "未归集", "已公示", "及时率", "公示及时率", "合规率", "记名率"]
_UNIT_HEADER += ["逾期未归集", "逾期未公示", "评价"]


def _unit_cells(row: dict[str, Any]) -> list[str]:
    return [
        str(row["records"]),
        str(row["collected"]),
        str(row["collected_late"]),
        str(row["not_collected"]),
        str(row["published"]),
        pct(row["timely_rate"]),
        pct(row["publication_timely_rate"]),
        pct(row["compliance_rate"]),
        pct(row["attribution_rate"]),
        str(row["open_collection_overdue"]),
        str(row["open_publication_overdue"]),
        "需整改" if row["needs_rectification"] else "—",
    ]


def _rank_cell(row: dict[str, Any]) -> str:
    return "—" if row["rank"] is None else str(row["rank"])


def _region_table(b: Bulletin) -> _Table:
    rows = [[_rank_cell(r), r["name"], str(r["departments"]), *_unit_cells(r)] for r in b.by_region]
    return _Table(
        caption="表2 各地区归集公示情况（按及时率、公示及时率排名）",
        header=["排名", "地区", "部门数", *_UNIT_HEADER],
        rows=rows,
        flagged=[r["needs_rectification"] for r in b.by_region],
    )


def _department_table(b: Bulletin) -> _Table:
    rows = [[_rank_cell(r), r["name"], r["region_name"], *_unit_cells(r)] for r in b.by_department]
    return _Table(
        caption="表3 各部门归集公示情况（按及时率、公示及时率排名）",
        header=["排名", "部门", "所属地区", *_UNIT_HEADER],
        rows=rows,
        flagged=[r["needs_rectification"] for r in b.by_department],
    )


def _summary_text(b: Bulletin) -> str:
    t, r = b.totals, b.rates
    return (
        f"本期{b.scope_name}纳入统计的部门{t['departments']}个，应归集涉企信息{t['records']}条，"
        f"已归集{t['collected']}条，其中按时归集{t['collected_on_time']}条、迟报{t['collected_late']}条，"
        f"及时率{pct(r['timely_rate'])}；未归集{t['not_collected']}条，其中已超过归集期限{t['not_collected_overdue']}条。"
        f"已公示{t['published']}条，其中按期公示{t['published_on_time']}条、迟延公示{t['published_late']}条，"
        f"公示及时率{pct(r['publication_timely_rate'])}；已归集尚未公示{t['unpublished']}条，"
        f"其中无法记名、待人工处理{t['held']}条；记名率{pct(r['attribution_rate'])}。"
        f"本期上报文件{t['uploads']}个、数据{t['rows_read']}行，拒收{t['rows_rejected']}行，"
        f"合规率{pct(r['compliance_rate'])}。截至{date_zh(b.as_of)}，"
        f"逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条尚未整改。"
    )


def _ranking_text(rows: list[dict[str, Any]], what: str) -> str:
    ranked = [r for r in rows if r["rank"] is not None]
    flagged = sum(1 for r in rows if r["needs_rectification"])
    if not ranked:
        return f"本期各{what}均无可计算及时率或公示及时率的数据；需整改{what}{flagged}个。"
    # A row without 及时率 (the regulator's own records have no collection clock) sorts last but is not "worst".
    timed = [r for r in ranked if r["timely_rate"] is not None] or ranked
    best, worst = timed[0], timed[-1]
    text = f"共{len(rows)}个{what}，按及时率、公示及时率排名，{best['name']}居首"
    text += f"（及时率{pct(best['timely_rate'])}，公示及时率{pct(best['publication_timely_rate'])}）"
    if len(timed) > 1:
        text += f"，{worst['name']}居末（及时率{pct(worst['timely_rate'])}，"
        text += f"公示及时率{pct(worst['publication_timely_rate'])}）"
    return text + f"；需整改{what}{flagged}个。"


def _sections(b: Bulletin) -> list[_Section]:
    comparison_rows = [
        [c["label"], _value_cell(c, c["current"]), _value_cell(c, c["previous"]), _pp_cell(c), c["text"]]
        for c in b.comparison.values()
    ]
    overall: list[_Block] = [
        _summary_text(b),
        _Table(
            caption=f"表1 主要指标与上期（{b.previous_period.label}）对比",
            header=["指标", "本期", "上期", "变化", "说明"],
            rows=comparison_rows,
        ),
    ]
    if b.by_category:
        overall.append(
            _Table(
                caption="表1-1 分类别情况",
                header=["类别", "应归集", "归集量", "迟报", "未归集", "已公示", "及时率", "公示及时率", "记名率"],
                rows=[
                    [
                        c["name"],
                        str(c["records"]),
                        str(c["collected"]),
                        str(c["collected_late"]),
                        str(c["not_collected"]),
                        str(c["published"]),
                        pct(c["timely_rate"]),
                        pct(c["publication_timely_rate"]),
                        pct(c["attribution_rate"]),
                    ]
                    for c in b.by_category
                ],
            )
        )

    overdue_blocks: list[_Block] = []
    if b.overdue_total:
        overdue_blocks.append(
            f"截至{date_zh(b.as_of)}，逾期未整改共{b.overdue_total}条"
            f"（逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条），"
            f"按超期工作日数从多到少列出如下。"
        )
        overdue_blocks.append(
            _Table(
                caption="表4 逾期未归集/未公示名单",
                header=["序号", "类型", "部门", "地区", "类别", "文号", "市场主体", "期限", "超期（工作日）"],
                rows=[
                    [
                        str(i),
                        f"{o['kind_zh']}（{o['kind']}）",
                        o["department_name"],
                        o["region_name"],
                        o["category_zh"],
                        o["doc_no"] or "无文号",
                        o["subject_name"] or "未记名",
                        o["due"].isoformat(),
                        str(o["working_days_late"]),
                    ]
                    for i, o in enumerate(b.overdue, start=1)
                ],
            )
        )
        if b.overdue_more:
            overdue_blocks.append(f"另有{b.overdue_more}条未列出，详见违约清单（/breaches）。")
    else:
        overdue_blocks.append(f"截至{date_zh(b.as_of)}，本范围内无逾期未归集或未公示的信息。")

    rectify: list[_Block] = []
    if b.rectification:
        rectify.append("以下单位需整改（按排名从后往前列出）：")
        rectify.append(
            _List(
                [
                    f"{'地区' if r['type'] == 'region' else '部门'}：{r['name']}——{'；'.join(r['reasons'])}"
                    for r in b.rectification
                ],
                ordered=True,
            )
        )
    else:
        rectify.append("本期无需整改的单位。")
    rectify.append(
        _List(
            [
                "各数据提供部门应在信息产生之日起7个工作日内将涉企信息归集至市场监管部门；"
                "逾期未归集的信息请于收到本通报后立即补报。",
                "市场监管部门应在信息产生之日起20个工作日内将其公示于企业名下；无法记名的信息请及时核实处理。",
                "上报数据应符合归集格式要求，被拒收的数据请按拒收报告逐行修正后重新上报。",
                f"及时率或公示及时率低于{pct(RECTIFY_THRESHOLD, 0)}、或有逾期未整改信息的单位，"
                "请认真查找原因，限期整改并反馈整改情况。",
            ]
        )
    )

    definitions = _List(
        [
            "统计口径：按信息产生日期统计本期产生的涉企信息；截至数据日期尚未发生的归集、公示不计。",
            "及时率＝7个工作日内归集的信息数÷已归集且适用归集时限的信息数（市场监管部门自身产生的信息不适用）。",
            "公示及时率＝20个工作日内公示的信息数÷已公示信息数。",
            "合规率＝（上报数据行数－拒收行数）÷上报数据行数。",
            "记名率＝已记于市场主体名下的信息数÷已归集信息数。",
            "联合惩戒反馈率＝收到其他部门联合惩戒反馈的名单信息数÷本期已公示（共享）的经营异常名录、严重违法失信名单信息数。",
            "未归集：部门生产台账中已登记、尚未归集的信息。分母为0时显示“—”。",
        ]
    )
    return [
        _Section("一、总体情况", overall),
        _Section(
            "二、各地区情况",
            [_ranking_text(b.by_region, "地区"), _region_table(b), _Chart("图1 各地区及时率与公示及时率")],
        ),
        _Section("三、各部门情况", [_ranking_text(b.by_department, "部门"), _department_table(b)]),
        _Section("四、逾期未归集/未公示名单", overdue_blocks),
        _Section("五、整改要求", rectify),
        _Section("六、联合惩戒反馈情况", _feedback_blocks(b)),
        _Section("附：指标说明", [definitions]),
    ]


_FEEDBACK_HEADER = ["部门", "所属地区", "共享名单信息", "收到反馈的名单", "反馈次数", "反馈率"]


def _feedback_cells(r: dict[str, Any]) -> list[str]:
    return [
        r["name"],
        r["region_name"],
        str(r["listings"]),
        str(r["with_feedback"]),
        str(r["feedback"]),
        pct(r["feedback_rate"]),
    ]


def _feedback_blocks(b: Bulletin) -> list[_Block]:
    t = b.feedback_totals
    if not b.feedback:
        return ["本期无已公示、共享的经营异常名录或严重违法失信名单信息。"]
    return [
        f"本期各部门共享经营异常名录、严重违法失信名单信息{t['listings']}条，其中{t['with_feedback']}条收到其他部门的"
        f"联合惩戒反馈（共{t['feedback']}次），反馈率{pct(t['feedback_rate'])}。",
        _Table(
            caption="表5 联合惩戒反馈情况（按发布部门）",
            header=_FEEDBACK_HEADER,
            rows=[_feedback_cells(r) for r in b.feedback],
        ),
    ]


def _value_cell(item: dict[str, Any], value: Any) -> str:
    if item["unit"] == "pp":
        return pct(value)
    return str(value)


def _meta_lines(b: Bulletin) -> list[str]:
    return [
        f"统计期间：{b.period.span_zh}（按信息产生日期统计）",
        f"数据截至：{date_zh(b.as_of)}",
        f"对比期间：{b.previous_period.label}（{b.previous_period.span_zh}，数据截至{date_zh(b.previous_as_of)}）",
    ]


# --- renderings -------------------------------------------------------------------------------------------------


def render_json(b: Bulletin) -> bytes:
    """The bulletin as JSON (the model dump; dates ISO, rates as fractions, English keys)."""
    return json.dumps(b.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def render_csv(b: Bulletin) -> bytes:
    """The department and region ranking tables as one CSV (UTF-8 with BOM, CRLF) that Excel opens directly."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([excel_safe(b.title)])
    w.writerow([f"统计期间：{b.period.span_zh}", f"数据截至：{date_zh(b.as_of)}"])
    w.writerow([])
    w.writerow(["各部门情况"])
    w.writerow(["排名", "部门", "部门统一社会信用代码", "所属地区", "行政区划代码", *_UNIT_HEADER, "整改原因"])
    for r in b.by_department:
        cells = [_rank_cell(r), r["name"], r["code"], r["region_name"], r["region_code"], *_unit_cells(r)]
        w.writerow([excel_safe(c) for c in cells] + [excel_safe("；".join(r["rectification_reasons"]))])
    w.writerow([])
    w.writerow(["各地区情况"])
    w.writerow(["排名", "地区", "行政区划代码", "部门数", *_UNIT_HEADER, "整改原因"])
    for r in b.by_region:
        cells = [_rank_cell(r), r["name"], r["code"], str(r["departments"]), *_unit_cells(r)]
        w.writerow([excel_safe(c) for c in cells] + [excel_safe("；".join(r["rectification_reasons"]))])
    if b.feedback:
        w.writerow([])
        w.writerow(["联合惩戒反馈情况"])
        w.writerow(["部门统一社会信用代码", *_FEEDBACK_HEADER])
        for r in b.feedback:
            w.writerow([excel_safe(c) for c in [r["code"], *_feedback_cells(r)]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _md(text: str) -> str:
    # Markdown viewers render raw HTML, and a | would split a table cell: neutralise both.
    text = html.escape(text, quote=False).replace("|", "\\|")
    return " ".join(text.split())


def render_markdown(b: Bulletin) -> bytes:
    """The bulletin as Markdown: the same sections and tables as the HTML, without the chart."""
    lines = [f"# {_md(b.title)}", ""]
    lines += [f"- {_md(m)}" for m in _meta_lines(b)] + [""]
    for section in _sections(b):
        lines += [f"## {_md(section.heading)}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                lines += [_md(block), ""]
            elif isinstance(block, _Table):
                lines += [f"**{_md(block.caption)}**", ""]
                lines.append("| " + " | ".join(_md(h) for h in block.header) + " |")
                lines.append("|" + "|".join("---" for _ in block.header) + "|")
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, _List):
                marks = [f"{i}." if block.ordered else "-" for i in range(1, len(block.items) + 1)]
                lines += [f"{m} {_md(item)}" for m, item in zip(marks, block.items, strict=True)] + [""]
            # The chart exists only in the HTML; its figures are in the region table above it.
    return "\n".join(lines).encode("utf-8")


_CSS = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", serif; font-size: 11pt; line-height: 1.6; color: #000; margin: 0 auto;
  max-width: 190mm; }
h1 { font-size: 18pt; text-align: center; margin: 0.5em 0; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; page-break-after: avoid; }
p.meta { text-align: center; margin: 0; font-size: 10pt; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 8.5pt; }
caption { caption-side: top; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #000; padding: 2px 4px; text-align: center; }
th { background: #e8e8e8; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
tr.flag td { background: #fde2e2; }
figure { margin: 0.5em 0 1em; page-break-inside: avoid; }
figcaption { text-align: center; font-weight: bold; font-size: 10pt; }
svg { width: 100%; height: auto; }
@media print {
  body { max-width: none; }
  th, tr.flag td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_BAR_COLOURS = {"timely_rate": "#2f5597", "publication_timely_rate": "#c55a11"}


def _svg_chart(b: Bulletin, caption: str) -> str:
    """Horizontal grouped bars of 及时率 and 公示及时率 per region: inline SVG, no script, no external assets."""
    e = html.escape
    rows = b.by_region
    left, bar_w, right = 170, 420, 70
    bar_h, gap, group_gap, top = 11, 2, 10, 40
    width = left + bar_w + right
    group_h = 2 * bar_h + gap + group_gap
    height = top + len(rows) * group_h + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{e(caption)}" font-size="11">',
        f"<title>{e(caption)}</title>",
    ]
    # Legend.
    x = left
    for key, colour in _BAR_COLOURS.items():
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18">{e(RATE_ZH[key])}</text>')
        x += 110
    # Grid every 20 %.
    axis_bottom = top + len(rows) * group_h
    for tick in range(0, 101, 20):
        gx = left + bar_w * tick / 100
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{axis_bottom}" stroke="#bbb"/>')
        parts.append(f'<text x="{gx:.1f}" y="{axis_bottom + 14}" text-anchor="middle">{tick}%</text>')
    for i, row in enumerate(rows):
        y = top + i * group_h
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h + gap / 2 + 4:.1f}" text-anchor="end">{e(str(row["name"]))}</text>'
        )
        for j, (key, colour) in enumerate(_BAR_COLOURS.items()):
            by = y + j * (bar_h + gap)
            value = row[key]
            length = 0.0 if value is None else bar_w * max(0.0, min(1.0, value))
            if value is not None:
                parts.append(
                    f'<rect x="{left}" y="{by}" width="{length:.1f}" height="{bar_h}" fill="{colour}">'
                    f"<title>{e(str(row['name']))} {e(RATE_ZH[key])} {e(pct(value))}</title></rect>"
                )
            parts.append(f'<text x="{left + length + 4:.1f}" y="{by + bar_h - 2}">{e(pct(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(b: Bulletin) -> bytes:
    """The bulletin as one self-contained, printable HTML page (A4, bordered tables, inline SVG chart)."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(b.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(b.title)}</h1>",
    ]
    out += [f'<p class="meta">{e(m)}</p>' for m in _meta_lines(b)]
    for section in _sections(b):
        out.append(f"<h2>{e(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, str):
                out.append(f"<p>{e(block)}</p>")
            elif isinstance(block, _Table):
                out.append(f"<table><caption>{e(block.caption)}</caption><thead><tr>")
                out.append("".join(f"<th>{e(h)}</th>" for h in block.header) + "</tr></thead><tbody>")
                flags = block.flagged or [False] * len(block.rows)
                for row, flagged in zip(block.rows, flags, strict=True):
                    cls = ' class="flag"' if flagged else ""
                    out.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
                out.append("</tbody></table>")
            elif isinstance(block, _List):
                tag = "ol" if block.ordered else "ul"
                out.append(f"<{tag}>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + f"</{tag}>")
            else:
                out.append(
                    f"<figure>{_svg_chart(b, block.caption)}<figcaption>{e(block.caption)}</figcaption></figure>"
                )
    out += ["</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


def announcement(b: Bulletin, location: str | None = None) -> tuple[str, str, dict[str, str]]:
    """SNS subject, a short Chinese message with the headline figures and where the bulletin is, and attributes."""
    r = b.rates
    where = location or bulletin_key(b.scope, b.period, "html")
    subject = (
        f"【涉企信息通报】{b.scope_name}{b.period_label}：归集{b.totals['collected']}条，及时率{pct(r['timely_rate'])}"
    )
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    regions = sum(1 for x in b.rectification if x["type"] == "region")
    departments = sum(1 for x in b.rectification if x["type"] == "department")
    lines = [
        b.title,
        f"统计期间：{b.period.span_zh}；数据截至{date_zh(b.as_of)}。",
        f"归集量{b.totals['collected']}条，{b.comparison['collected']['text']}；"
        f"未归集{b.totals['not_collected']}条；已公示{b.totals['published']}条。",
        "；".join(f"{RATE_ZH[k]}{pct(r[k])}（{b.comparison[k]['text']}）" for k in RATE_KEYS) + "。",
        f"逾期未归集{b.open_overdue['collection_overdue']}条、逾期未公示{b.open_overdue['publication_overdue']}条尚未整改；"
        f"需整改地区{regions}个、部门{departments}个。",
        f"完整通报：{where}（另有Markdown、CSV、JSON版本）",
    ]
    attributes = {
        "region": b.scope,
        "type": "bulletin",
        "period": b.period.key,
        "period_kind": b.period.kind,
        "level": b.level,
    }
    return subject, "\n".join(lines), attributes


def department_view(document: dict[str, Any], department: str) -> dict[str, Any]:
    """What a department may read of a bulletin (JSON form): every figure and ranking — a 通报 is circulated to be
    read — but of the named overdue list only its own rows; the others are counted, not named."""
    own = [row for row in document.get("overdue", []) if row.get("department") == department]
    return {
        **document,
        "overdue": own,
        "overdue_other_departments": len(document.get("overdue", []))
        - len(own)
        + int(document.get("overdue_more", 0) or 0),
        "overdue_more": 0,
    }
