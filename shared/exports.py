"""Spreadsheet-safe CSV for people: reject reports, breach exports, bulletins."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: str) -> str:
    """Defuse spreadsheet formula injection: Excel runs a cell starting with = + - @ (or tab/CR) as a formula,
    and names and numbers here come from uploads, so such a cell gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value
