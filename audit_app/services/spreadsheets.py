"""Spreadsheet safety shared by every export (sample results, the CAPA register): no cell is read as a formula.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return could be run by a spreadsheet as a
formula (CSV and formula injection); `safe_cell` puts a leading apostrophe before such text, so the cell shows
exactly what was typed.
"""

from __future__ import annotations

from typing import Any

#: The first characters a spreadsheet may read as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a leading quote."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
