"""The routes behind the web console over real HTTP (no browser): /me, the presigned upload routes, the pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests import helpers as h

pytestmark = pytest.mark.e2e


def auth(stack: Any, role: str, region: str = "350000", department: str | None = None) -> dict[str, str]:
    return {"Authorization": "Bearer " + h.api_token(stack, role, region, department, sub="t")}


def test_me_names_the_caller(env: Any, api: str) -> None:
    body = requests.get(f"{api}/me", headers=auth(env, "department", department=h.ENV_DEPT), timeout=10).json()
    assert body["role"] == "department" and body["department"] == h.ENV_DEPT
    assert body["department_name"] == "福建省生态环境厅" and body["region_name"] == "福建省"
    body = requests.get(f"{api}/me", headers=auth(env, "supervisor", region="350100"), timeout=10).json()
    assert (body["role"], body["region"], body["region_name"], body["department"]) == (
        "supervisor",
        "350100",
        "福州市",
        None,
    )
    assert requests.get(f"{api}/me", timeout=10).status_code == 401


def _policy(post: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(base64.b64decode(post["fields"]["policy"]))
    return loaded


def test_presigned_upload_is_limited_to_the_callers_own_folder(env: Any, api: str) -> None:
    dept = auth(env, "department", department=h.ENV_DEPT)
    body = {"category": "penalty", "file_name": "十一月.csv", "size": 120}
    resp = requests.post(f"{api}/uploads", json=body, headers=dept, timeout=10)
    assert resp.status_code == 200, resp.text
    post = resp.json()
    assert post["key"] == f"incoming/{h.ENV_DEPT}/penalty/十一月.csv" == post["fields"]["key"]
    conditions = _policy(post)["conditions"]
    assert {"key": post["key"]} in conditions  # exactly this key: no other file, no other folder
    assert any(c[0] == "content-length-range" for c in conditions if isinstance(c, list))
    # Only departments upload; categories, names and sizes are checked before anything is signed.
    assert requests.post(f"{api}/uploads", json=body, headers=auth(env, "auditor"), timeout=10).status_code == 403
    for bad, reason in (
        ({**body, "category": "taxes"}, "信息类别"),
        ({**body, "file_name": f"../{h.CITY_DEPT}/penalty/x.csv"}, "文件名无效"),
        ({**body, "file_name": "a\\b.csv"}, "文件名无效"),
        ({**body, "file_name": ""}, "文件名"),
        ({**body, "size": 0}, "文件大小"),
        ({**body, "size": "many"}, "size"),
        ({**body, "size": 10**10}, "文件大小"),
        ({**body, "category": "published"}, "市场监管部门"),
    ):
        resp = requests.post(f"{api}/uploads", json=bad, headers=dept, timeout=10)
        assert resp.status_code == 400 and reason in resp.json()["Message"], (bad, resp.text)


def test_a_form_upload_gets_its_receipt_history_and_reject_report(env: Any, api: str) -> None:
    dept = auth(env, "department", department=h.ENV_DEPT)
    rows = [h.penalty_row("闽环罚〔2024〕50号", "2024-10-08"), h.penalty_row("", "2024-10-08")]
    data = h.csv_bytes(rows)
    target = requests.post(
        f"{api}/uploads",
        json={"category": "penalty", "file_name": "f.csv", "size": len(data)},
        headers=dept,
        timeout=10,
    ).json()
    where = {"category": "penalty", "file_name": "f.csv"}
    assert requests.get(f"{api}/uploads/receipt", params=where, headers=dept, timeout=10).json()["state"] == "missing"
    # The browser's request: a multipart form to S3 (the moto server here), no API token.
    s3 = requests.post(target["url"], data=target["fields"], files={"file": ("f.csv", data)}, timeout=10)
    assert s3.status_code in (200, 204), s3.text
    pending = requests.get(f"{api}/uploads/receipt", params=where, headers=dept, timeout=10).json()
    assert pending["state"] == "processing"
    env.drain()
    done = requests.get(f"{api}/uploads/receipt", params=where, headers=dept, timeout=10).json()
    assert done["state"] == "done"
    assert done["receipt"]["counts"]["read"] == 2 and done["receipt"]["counts"]["rejected"] == 1
    history = requests.get(f"{api}/uploads", headers=dept, timeout=10).json()["items"]
    assert [(u["file_name"], u["category_name"], u["has_rejects"]) for u in history] == [("f.csv", "行政处罚", True)]
    report = requests.get(f"{api}/uploads/rejects", params=where, headers=dept, timeout=10)
    assert report.status_code == 200 and report.content.startswith(b"\xef\xbb\xbf")
    # Another department asking for the same name sees its own (empty) folder, never this one.
    other = auth(env, "department", department=h.CITY_DEPT)
    assert requests.get(f"{api}/uploads/receipt", params=where, headers=other, timeout=10).json()["state"] == "missing"
    assert requests.get(f"{api}/uploads", headers=other, timeout=10).json()["items"] == []
    assert requests.get(f"{api}/uploads/rejects", params=where, headers=other, timeout=10).status_code == 404


def test_intake_bucket_lets_the_console_read_the_upload_answer(env: Any) -> None:
    rules = env.s3().get_bucket_cors(Bucket=env.env["INTAKE_BUCKET"])["CORSRules"]
    assert [r["AllowedMethods"] for r in rules] == [["POST"]]
    assert rules[0]["ExposeHeaders"] == ["ETag"]


def test_console_pages_and_assets(api: str) -> None:
    root = requests.get(f"{api}/console", allow_redirects=False, timeout=10)
    assert root.status_code == 302 and root.headers["Location"] == "console/login"
    for name in ("login", "department", "breaches", "held", "record", "audit", "bulletins", "public"):
        page = requests.get(f"{api}/console/{name}", timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), name
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert f'data-page="{name}"' in page.text and "{{" not in page.text
    assert requests.get(f"{api}/console/nope", timeout=10).status_code == 404
    js = requests.get(f"{api}/console/static/console.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert "innerHTML" not in js.text  # every value goes in as text
    assert requests.get(f"{api}/console/static/layout.html", timeout=10).status_code == 404
    # Only bare names of the static folder's .js/.css files are served (API Gateway would pass a decoded %2F on).
    from shared import console

    assert console.asset("../__init__.py") is None and console.asset("../static/console.js") is None
    assert console.asset("console.css") is not None
