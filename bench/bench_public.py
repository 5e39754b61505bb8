"""Benchmark: the public enterprise query over 100,000 subjects — latency and items read per query (issue 11).

The register (generated, seeded) is indexed once in memory (:class:`shared.search.InMemoryNameIndex`: the same
planner and ranking as in DynamoDB, counting every posting and count item it reads), and each query is timed as
the service runs it. The baseline, in the same run, is what the search has to beat: a scan of every subject's
folded name for the same words (the only way to answer "a fragment anywhere in the name" without an index).
A smaller register on the moto server (``BENCH_FULL=1``: 3,000 subjects, else 300; moto's query time grows with the table) shows the real adapter's
items read and latency. Run: ``.venv/bin/python -m bench.bench_public``.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date

from shared.registry import Subject
from shared.search import InMemoryNameIndex, plan, posting_of, search_names

SUBJECTS = 100_000
QUERIES = ("福州 科技", "厦门 贸易", "晋兴 建设", "有限公司", "平潭", "信息技术 福建", "建设工程")
REPEAT = 5


def _median_ms(fn: object, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    from infra.demodata import generate

    data = generate(today=date(2026, 11, 30), subjects=SUBJECTS, rows_per_file=1)
    postings = [posting_of(s.uscc, s.name, s.region_code, s.type) for s in data.subjects]
    index = InMemoryNameIndex()
    start = time.perf_counter()
    index.index([(None, p) for p in postings])
    build_s = time.perf_counter() - start
    folded = [(p.folded, p) for p in postings]
    print(f"public query, {SUBJECTS:,} subjects (in-memory index built in {build_s:.1f} s), median of {REPEAT}")
    print(f"  {'query':<14} {'hits':>6} {'items read':>10} {'index ms':>9} {'scan ms':>9} {'scan/index':>10}")
    for query in QUERIES:
        words = plan(query).words
        index.items_read = 0
        outcome = search_names(index, words, None)
        read = index.items_read
        t_index = _median_ms(lambda words=words: search_names(index, words, None))  # type: ignore[misc]
        t_scan = _median_ms(lambda words=words: [p for f, p in folded if all(w in f for w in words)], 3)  # type: ignore[misc]
        capped = " (capped)" if outcome.truncated else ""
        print(
            f"  {query:<14} {len(outcome.hits):>6} {read:>10,} {t_index:>9.2f} {t_scan:>9.1f} "
            f"{t_scan / t_index:>9.0f}x{capped}"
        )
    sample = data.subjects[: 3_000 if os.environ.get("BENCH_FULL") else 300]
    _on_moto(
        [Subject(uscc=s.uscc, name=s.name, region_code=s.region_code, type=s.type, reg_no=s.reg_no) for s in sample]
    )


def _on_moto(subjects: list[Subject]) -> None:
    from infra.localrun import start_stack
    from shared.services.deps import get_deps

    server, _ = start_stack()
    try:
        deps = get_deps()
        start = time.perf_counter()
        deps.tables.registry.put_subjects(subjects)
        load_s = time.perf_counter() - start
        print(f"\n  moto server, {len(subjects):,} subjects (register load with name index {load_s:.0f} s)")
        print(f"  {'query':<14} {'hits':>6} {'items read':>10} {'requests':>9} {'ms':>8}")
        for query in QUERIES:
            words = plan(query).words
            reads, requests = deps.stats.items_read, deps.stats.requests
            t0 = time.perf_counter()
            outcome = search_names(deps.tables.registry.names, words, None)
            ms = (time.perf_counter() - t0) * 1000
            print(
                f"  {query:<14} {len(outcome.hits):>6} {deps.stats.items_read - reads:>10,} "
                f"{deps.stats.requests - requests:>9} {ms:>8.1f}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
