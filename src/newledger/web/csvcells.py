"""Spreadsheet-safe CSV cells, for every CSV download (the activity log, the reports).

A cell starting with = + - @ (or a tab or carriage return) is run as a formula by spreadsheet
programs (CSV injection), so such text gets a leading apostrophe. Amounts are exempt: a plain
decimal such as ``-12.50`` is a number to a spreadsheet, never a formula, and must stay one.
"""

from __future__ import annotations

import re

__all__ = ["csv_cell"]

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_START and not _DECIMAL.fullmatch(text):
        return "'" + text
    return text
