"""Small builders for hand-written end-to-end scenarios (independent of the code under test)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from infra.demodata import valid_uscc
from shared.registry import Department, Subject

ENV_DEPT = valid_uscc("11350000" + "003591011")  # 福建省生态环境厅 (province, not the regulator)
CITY_DEPT = valid_uscc("11350100" + "003600222")  # 福州市生态环境局 (city)
COUNTY_REG = valid_uscc("11350102" + "MB0000017")  # 福州市鼓楼区市场监督管理局 (county, regulator)

COMPANY = valid_uscc("91350102" + "MA2Y00012")
COMPANY_NAME = "福州昌华环保科技有限公司"
OTHER = valid_uscc("91350203" + "MA2Y00034")
OTHER_NAME = "厦门海沧鑫源贸易有限公司"
UNKNOWN = valid_uscc("91350104" + "MA2Y00098")  # a valid code that is not in the register

# The environment every function gets (infra/chalice-overrides.yaml Globals; infra.local_stack provisions it).
FUNCTION_ENV = frozenset(
    {
        "GUIJI_TOKEN_SECRET_ARN",
        "INTAKE_BUCKET",
        "REPORTS_BUCKET",
        "AUDIT_SEALS_BUCKET",
        "RECORDS_TABLE",
        "REGISTRY_TABLE",
        "BREACHES_TABLE",
        "AUDIT_TABLE",
        "CONTROL_TABLE",
        "IDEMPOTENCY_TABLE",
        "INTAKE_QUEUE_URL",
        "NOTICES_TOPIC_ARN",
        "SHARING_TOPIC_ARN",
    }
)

PENALTY_HEADERS = ["行政相对人名称", "统一社会信用代码", "行政处罚决定书文号", "处罚类别", "处罚决定日期", "处罚内容"]


def departments() -> list[Department]:
    return [
        Department(code=ENV_DEPT, name="福建省生态环境厅", region_code="350000", level="province"),
        Department(code=CITY_DEPT, name="福州市生态环境局", region_code="350100", level="city"),
        Department(
            code=COUNTY_REG, name="福州市鼓楼区市场监督管理局", region_code="350102", level="county", is_regulator=True
        ),
    ]


def subjects() -> list[Subject]:
    return [
        Subject(uscc=COMPANY, name=COMPANY_NAME, region_code="350102"),
        Subject(uscc=OTHER, name=OTHER_NAME, region_code="350205"),
    ]


def load_registry(stack: Any) -> None:
    stack.deps.tables.registry.put_departments(departments())
    stack.deps.tables.registry.put_subjects(subjects())


def penalty_row(
    doc_no: str, produced: str, *, name: str = COMPANY_NAME, code: str = COMPANY, content: str = "罚款"
) -> list[str]:
    return [name, code, doc_no, "罚款", produced, content]


def csv_bytes(
    rows: Sequence[Sequence[str]], headers: Sequence[str] = PENALTY_HEADERS, encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload_penalty(
    stack: Any,
    file_name: str,
    doc_no: str,
    produced: str,
    *,
    dept: str = ENV_DEPT,
    collected_at: str | None = None,
    **row: str,
) -> dict[str, Any]:
    """Upload a one-row penalty file as ``dept`` and return its receipt."""
    return dict(
        stack.upload(
            dept, "penalty", file_name, csv_bytes([penalty_row(doc_no, produced, **row)]), collected_at=collected_at
        )
    )


def api_token(
    stack: Any,
    role: str = "auditor",
    region: str = "350000",
    department: str | None = None,
    *,
    sub: str = "test",
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """A token signed with the local stack's current key (what ``guiji token issue`` prints)."""
    from shared.services.tokens import TokenService

    service = TokenService.for_names(stack.env["GUIJI_TOKEN_SECRET_ARN"], stack.env["CONTROL_TABLE"])
    issued = service.issue(role, region=region, department=department, sub=sub, ttl_seconds=ttl_seconds, now=now)
    return issued.token


@contextmanager
def local_api() -> Iterator[str]:
    """The local API over real HTTP on a free port, for as long as the block runs (module-scoped fixtures)."""
    from infra.localrun import free_port, serve_api

    port = free_port()
    server = serve_api(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
