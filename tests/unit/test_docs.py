"""docs/architecture.md's module map names every module of shared/ (issue 8 §5), so a new module cannot go
unexplained and a renamed one cannot leave a stale row behind."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_module_map_covers_every_module_and_nothing_else() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Module map") :]
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", table, flags=re.M))
    modules = {
        p.relative_to(ROOT / "shared").as_posix() for p in (ROOT / "shared").rglob("*.py") if p.name != "__init__.py"
    }
    assert sorted(modules - listed) == []  # modules the map does not explain
    assert sorted(listed - modules) == []  # rows for modules that no longer exist
