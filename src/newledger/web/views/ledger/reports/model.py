"""What a report page shows, in one shape for all eight reports: columns, and tables of rows
of amounts, each amount optionally linking to the entries behind it.

One shape means one template and one CSV writer: the page and its CSV cannot show different
figures, and every report gets drill-down links, print styles and CSV the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["Cell", "Column", "ReportTable", "ReportView", "Row", "period_text"]


@dataclass(frozen=True)
class Column:
    key: str  # stable, for element data attributes: "p0", "2025-01", "31_60"
    label: str


@dataclass(frozen=True)
class Cell:
    amount: int | None  # minor units; None: nothing to show
    url: str | None = None  # the entries behind the figure (None without journal:read)


@dataclass(frozen=True)
class Row:
    key: str  # unique in the report: "account-12", "total-assets"
    name: str
    cells: tuple[Cell, ...]
    code: str = ""
    currency: str = ""  # the row's own currency where a report mixes them, else the report's
    total: bool = False  # a total line (bold, ruled)
    url: str | None = None  # where the row's name leads (an aging row: its documents)


@dataclass(frozen=True)
class ReportTable:
    id: str  # element id, e.g. "bs-assets"
    caption: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class ReportView:
    heading: str  # "Profit and loss 2025-01-01 to 2025-03-31"
    currency: str  # the report's currency ("" when rows carry their own)
    row_label: str  # what the first column names: "Account", "Customer"
    columns: tuple[Column, ...]
    tables: tuple[ReportTable, ...]
    period: str  # for the CSV file name: "2025-03-31" or "2025-01-01_2025-03-31"
    balanced: bool | None = None  # balance sheet and trial balance say whether they balance
    notes: tuple[str, ...] = field(default=())
    # What the ``balanced`` badge says either way (the sales tax report "ties out").
    balance_labels: tuple[str, str] = ("balanced", "out of balance")

    def currency_of(self, row: Row) -> str:
        return row.currency or self.currency


def period_text(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}_{end.isoformat()}"
