"""Benchmark: the hand-written USCC check vs ``stdnum.cn.uscc.is_valid`` (perf-limits §3).

Run: ``.venv/bin/python -m bench.bench_uscc``. 200,000 generated valid codes (digit-prefixed, so stdnum can
judge them too) plus the same codes with a wrong check character; medians of a few runs after a warm-up.
Both sides normalise: ``stdnum``'s ``is_valid`` compacts (spaces, hyphens, case) before checking, so the fair
comparison is guiji's ``normalize_code`` + ``is_valid_uscc``; the bare check alone is shown too.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable

from stdnum.cn import uscc as stdnum_uscc

from shared.identifiers import USCC_CHARSET, is_valid_uscc, normalize_code, uscc_check_char

CODES = 200_000
REPEAT = 3


def generate(n: int, seed: int = 42) -> list[str]:
    """``n`` valid USCCs: 9 1 + a Fujian county code + 9 random characters + the check character."""
    rng = random.Random(seed)
    regions = ["350102", "350103", "350200", "350128", "350583", "350681", "350702", "350802", "350902"]
    out = []
    for _ in range(n):
        body = "91" + rng.choice(regions) + "".join(rng.choices(USCC_CHARSET, k=9))
        out.append(body + uscc_check_char(body))
    return out


def corrupt(codes: list[str]) -> list[str]:
    """The same codes with a wrong check character."""
    out = []
    for code in codes:
        i = USCC_CHARSET.index(code[17])
        out.append(code[:17] + USCC_CHARSET[(i + 1) % 31])
    return out


def _measure(check: Callable[[str], bool], codes: list[str], expect: bool) -> float:
    """Median seconds to check all codes; asserts every verdict."""

    def run() -> None:
        verdicts = [check(c) for c in codes]
        assert all(v is expect for v in verdicts), "checks disagree with the expected verdict"

    run()
    times = []
    for _ in range(REPEAT):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print codes/s for both checks on valid and corrupted codes, and the speed ratio."""
    valid = generate(CODES)
    bad = corrupt(valid)
    print(f"USCC check, {CODES:,} codes, median of {REPEAT}")

    def normalised(code: str) -> bool:
        text = normalize_code(code)
        return text is not None and is_valid_uscc(text)

    rows = []
    checks = (
        ("guiji normalize + check", normalised),
        ("stdnum.cn.uscc.is_valid", stdnum_uscc.is_valid),
        ("guiji is_valid_uscc alone", is_valid_uscc),
    )
    for name, check in checks:
        t_valid = _measure(check, valid, True)
        t_bad = _measure(check, bad, False)
        rows.append((name, CODES / t_valid, CODES / t_bad))
        print(f"  {name:<27} valid {CODES / t_valid:>12,.0f} codes/s   bad check char {CODES / t_bad:>12,.0f} codes/s")
    ours, theirs, _ = rows
    print(
        f"  ratio (guiji normalise+check / stdnum): valid {ours[1] / theirs[1]:.1f}x,"
        f" bad check char {ours[2] / theirs[2]:.1f}x"
    )


if __name__ == "__main__":
    main()
