"""The report pages' scenario and readers: ``post_sample`` books (``support/reports_books.py``)
in a company whose owner and viewer can sign in and which has an API app, and the figures a
report page, its CSV and the REST API's report show, keyed alike so tests can compare them."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company, User
from newledger.ledger.reports.aging import BUCKETS
from tests.support import reports_books
from tests.support.books import Books, make_books
from tests.support.workspace import Person, make_person

__all__ = [
    "ReportPages",
    "csv_figures",
    "drill_links",
    "make_report_pages",
    "page_figures",
    "rest_figures",
]

_FIGURE = re.compile(r'data-figure="([^"]+)">(?:<a class="drill" href="([^"]+)">)?([^<]*)<')


@dataclass
class ReportPages:
    owner: Person
    viewer: Person
    books: Books  # for API apps (``tests.support.api.api_for``)
    sample: reports_books.Sample

    @property
    def company_id(self) -> int:
        return self.books.company_id


def make_report_pages(sessions: sessionmaker[Session], slug: str = "acme") -> ReportPages:
    owner = make_person(sessions, "owner@example.com", company=slug)
    viewer = make_person(sessions, "viewer@example.com", company=slug, role="viewer")
    with sessions() as s:
        company = s.get(Company, owner.company_id)
        user = s.get(User, owner.user_id)
        assert company is not None and user is not None
        books = make_books(s, company=company, owner=user)
        ledger = reports_books.Books(s, company, books.accounts, books.checking)
        sample = post_sample_committed(s, ledger)
        return ReportPages(owner, viewer, books, sample)


def post_sample_committed(session: Session, books: reports_books.Books) -> reports_books.Sample:
    sample = reports_books.post_sample(books)
    session.commit()
    for row in (sample.services_invoice, sample.paid_invoice, sample.open_bill):
        session.refresh(row)
    return sample


def plain(shown: str) -> str:
    """An en_US amount as shown (``$1,200.00``, ``($5.00)``) as REST writes it (``-5.00``)."""
    text = shown.strip()
    negative = (text.startswith("(") and text.endswith(")")) or text.startswith("-")
    digits = re.sub(r"[^0-9.]", "", text)
    return f"-{digits}" if negative and digits else digits


def page_figures(html: str) -> list[tuple[str, str, str | None]]:
    """(key, amount as REST writes it, drill link) of every figure on a report page, in page
    order."""
    return [(key, plain(text), link) for key, link, text in _FIGURE.findall(html)]


def drill_links(html: str) -> dict[str, str]:
    return {key: link.replace("&amp;", "&") for key, _text, link in page_figures(html) if link}


def csv_figures(text: str) -> list[str]:
    """Every amount cell of a report CSV, in order (the columns after Section, Code, Name and
    Currency)."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Section", "Code", rows[0][2], "Currency"], rows[0]
    return [cell for row in rows[1:] for cell in row[4:]]


def _blank_zero(value: str) -> str:
    return "" if Decimal(value) == 0 else value


def rest_figures(slug: str, body: dict[str, Any], column: str = "p0") -> dict[str, str]:
    """The REST report ``body`` as the page's figures: ``row key/column key`` -> amount."""
    out: dict[str, str] = {}
    if slug == "profit-and-loss":
        for section in body["sections"]:
            for line in section["lines"]:
                for i, amount in enumerate(line["amounts"]):
                    out[f"account-{line['account_id']}/p{i}"] = amount
            for i, amount in enumerate(section["totals"]):
                out[f"total-{section['key']}/p{i}"] = amount
        for key in ("gross_profit", "operating_profit", "net_income"):
            for i, amount in enumerate(body[key]):
                out[f"{key.replace('_', '-')}/p{i}"] = amount
    elif slug == "balance-sheet":
        for section in ("assets", "liabilities", "equity"):
            for line in body[section]["lines"]:
                account = line["account_id"]
                key = f"account-{account}" if account else line["name"].lower().replace(" ", "-")
                out[f"{key}/{column}"] = line["amount"]
            out[f"total-{section}/{column}"] = body[section]["total"]
        out[f"total-liabilities-equity/{column}"] = body["total_liabilities_and_equity"]
    elif slug == "trial-balance":
        for row in body["rows"]:
            key = f"account-{row['account_id']}-{row['currency']}"
            out[f"{key}/debit"] = _blank_zero(row["debit"])
            out[f"{key}/credit"] = _blank_zero(row["credit"])
        for total in body["totals"]:
            out[f"total-{total['currency']}/debit"] = total["debit"]
            out[f"total-{total['currency']}/credit"] = total["credit"]
    elif slug == "cash-position":
        flows = ("opening", "money_in", "money_out", "closing")
        for row in body["accounts"]:
            out.update({f"bank-{row['bank_account_id']}/{k}": row[k] for k in flows})
        for total in body["totals"]:
            out.update({f"total-{total['currency']}/{k}": total[k] for k in flows})
    elif slug in ("ar-aging", "ap-aging"):
        keys = (*BUCKETS, "total")
        for row in body["contacts"]:
            out.update({f"contact-{row['contact_id']}/{k}": row[k] for k in keys})
        out.update({f"total/{k}": body["totals"][k] for k in keys})
    elif slug == "expenses-by-category":
        for row in body["categories"]:
            out.update({f"account-{row['account_id']}/{m}": v for m, v in row["months"].items()})
            out[f"account-{row['account_id']}/total"] = row["total"]
        out.update({f"total/{m}": v for m, v in body["totals"].items()})
        out["total/total"] = body["total"]
    elif slug == "sales-tax":
        sums = ("sales_net", "sales_tax", "purchases_net", "purchases_tax", "net_owed")
        for row in body["rates"]:
            out.update({f"rate-{row['tax_rate_id']}/{k}": row[k] for k in sums})
        out.update({f"total/{k}": body["totals"][k] for k in sums})
        # The tie-out's rows have one figure, in the last column; the others are blank.
        tie = [(f"account-{a['account_id']}", a["movement"]) for a in body["accounts"]]
        tie += [
            ("tie-documents", body["totals"]["net_owed"]),
            ("tie-other", body["other_movement"]),
            ("tie-movement", body["tax_account_movement"]),
        ]
        for key, amount in tie:
            out.update({f"{key}/{k}": "" for k in sums[:-1]})
            out[f"{key}/net_owed"] = amount
    else:  # pragma: no cover - a report the test does not know
        raise AssertionError(slug)
    return out
