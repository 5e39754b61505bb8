"""Screenshots of the web console's main pages for the README, taken from the running local stack (after the demo).

Usage::

    bash run.sh demo && .venv/bin/python -m infra.console_shots [--out docs]

Needs Playwright (requirements-dev.txt) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"]


def _first_breach(api: str, token: str, **params: str) -> dict[str, Any] | None:
    query = "&".join(f"{k}={v}" for k, v in {**params, "limit": "1"}.items())
    request = urllib.request.Request(f"{api}/breaches?{query}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as resp:
        items: list[dict[str, Any]] = json.loads(resp.read())["items"]
    return items[0] if items else None


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from infra.cli import _connect, issue_local_token

    parser = argparse.ArgumentParser(prog="python -m infra.console_shots")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    state = _connect()
    if state is None:
        print("no local stack: run `bash run.sh demo` first", file=sys.stderr)
        return 1
    api, base = state["api_url"], state["api_url"] + "/console"
    tokens = {role: issue_local_token(role, sub="screenshots") for role in ("auditor", "supervisor", "regulator")}
    breach = _first_breach(api, tokens["auditor"], kind="publication_overdue")
    published = _first_breach(api, tokens["auditor"], kind="publication_late")  # published, if late
    department = breach["department"] if breach else None
    if department:
        tokens["department"] = issue_local_token("department", department=department, sub="screenshots")
    shots: list[tuple[str, str, str]] = [
        ("supervisor", "/breaches?status=open", "console-breaches.png"),
        ("supervisor", "/digests", "console-digests.png"),
        ("regulator", "/held", "console-held.png"),
        ("auditor", "/bulletins", "console-bulletins.png"),
        ("", "/public", "console-public.png"),
    ]
    if breach:
        shots.insert(1, ("auditor", f"/record?id={breach['record_id']}", "console-record.png"))
    if department:
        shots.insert(0, ("department", "/department", "console-department.png"))
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for role, path, name in shots:
            context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
            context.set_default_timeout(120_000)  # the local API serves one request at a time
            page = context.new_page()
            if role:
                page.goto(base + "/login")
                page.fill("#token", tokens[role])
                page.click("#login-form button[type=submit]")
                page.wait_for_function("() => !location.pathname.endsWith('/login')")
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            if name == "console-bulletins.png" and page.locator("button.open-bulletin").count():
                page.locator("button.open-bulletin").first.click()
                page.wait_for_selector("#bulletin-title")
            if name == "console-digests.png" and page.locator("#digest-list button").count():
                page.locator("#digest-list button").first.click()
                page.wait_for_selector("#digest h2")
            if name == "console-public.png" and published:
                page.fill("#q", str(published.get("subject_name") or ""))
                page.click("#search-form button[type=submit]")
                page.wait_for_selector("#results table, #results p")
                if page.locator("#results a").count():
                    page.locator("#results a").first.click()
                    page.wait_for_selector("#subject h2")
            page.screenshot(path=str(args.out / name))
            print(args.out / name)
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
