"""One definition of each rate (issue 8 §3): a department's scorecard and the bulletin's row for that department
show the same 及时率, 公示及时率, 合规率 and 记名率 for the same month and data — including a late record, a rejected
row and a natural person (left out of 记名率's base)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.bulletins import bulletin_key
from shared.identifiers import id_number_check_char
from shared.periods import parse_period
from shared.services import bulletins, publication, queries
from shared.timeutil import local_date, utc_now
from tests import helpers as h

pytestmark = pytest.mark.e2e

PERSON = "35010219800101123" + id_number_check_char("35010219800101123")


def test_scorecard_and_bulletin_agree_on_every_rate(env: Any) -> None:
    headers = [*h.PENALTY_HEADERS, "证件号码"]
    rows = [
        [*h.penalty_row("闽环罚〔2024〕11号", "2024-09-02"), ""],  # collected on time
        [*h.penalty_row("闽环罚〔2024〕12号", "2024-09-03"), ""],  # collected late (below)
        [*h.penalty_row("闽环罚〔2024〕13号", "2024-09-04", name="张三", code=""), PERSON],  # a natural person
        [*h.penalty_row("闽环罚〔2024〕14号", "2024-09-05", code="123"), ""],  # rejected: bad code
    ]
    on_time = env.upload(
        h.ENV_DEPT,
        "penalty",
        "a.csv",
        h.csv_bytes([rows[0], rows[2], rows[3]], headers),
        collected_at="2024-09-06T02:00:00Z",
    )
    assert on_time["counts"]["rejected"] == 1
    env.upload(h.ENV_DEPT, "penalty", "b.csv", h.csv_bytes([rows[1]], headers), collected_at="2024-09-27T02:00:00Z")
    publication.run_publication(env.deps)

    today = local_date(utc_now())
    card = queries.scorecard(h.ENV_DEPT, "2024-09", env.deps)
    bulletins.run_on_demand(today, env.deps, period="2024-09", scope="350000")
    blob = env.deps.objects.get_bytes(
        env.deps.settings.reports_bucket, bulletin_key("350000", parse_period("2024-09"), "json")
    )
    row = next(r for r in json.loads(blob)["by_department"] if r["code"] == h.ENV_DEPT)

    # by hand: 3 collected records, 2 with a timely collection (the 27th is past 7 working days from the 3rd)
    assert card["collected"] == row["collected"] == 3
    assert card["on_time_rate"] == pytest.approx(row["timely_rate"]) == pytest.approx(2 / 3)
    assert card["publication_on_time_rate"] == pytest.approx(row["publication_timely_rate"])
    assert card["attribution_rate"] == pytest.approx(row["attribution_rate"]) == pytest.approx(1.0)  # person left out
    assert card["compliance_rate"] == pytest.approx(row["compliance_rate"]) == pytest.approx(3 / 4)
