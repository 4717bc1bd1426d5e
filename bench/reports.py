"""Reports benchmark: NewLedger's P&L, balance sheet, AR aging and sales tax vs `ledger bal`.

For each size and database it builds demo books (`newledger demo --lines N --seed 1`, taxed: a
7.25 % sales tax on some customers' invoices, a 20 % input tax on some vendors' bills, net of
tax, and receipts, tax included) into a SQLite file under bench/out/ or a PostgreSQL database
of its own, exports them as a ledger-cli journal, then in the same run times NewLedger's reports
(warm, best of 5) and `ledger -f EXPORT bal` (best of 3) on the same books. It prints ratios
(ledger time / NewLedger time), the growth from the smallest to the largest size and the load
average, and writes the figures as JSON to bench/out/.

    .venv/bin/python bench/reports.py                          # 100k and 1M lines, SQLite
    .venv/bin/python bench/reports.py --sizes 20000 --check    # a quick look, books verified
    .venv/bin/python bench/reports.py --databases sqlite postgresql
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.db import make_engine, make_sessionmaker
from newledger.identity.models import Company
from newledger.ledger import reports
from newledger.ledger.export import write_ledger_journal
from newledger.ledger.models import Expense, ExpenseLine, Invoice, InvoiceLine, JournalLine
from newledger.ledger.verify import verify_books

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
AS_OF = dt.date(2025, 6, 30)  # fixed, so every run builds the same books
NEWLEDGER = [sys.executable, "-m", "newledger.cli.main"]
TARGET_RATIO = 50.0
TARGET_GROWTH = 2.0
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
# Bump when the demo's books change shape, so books built by an older generator are not reused.
BOOKS_VERSION = 2  # 2: taxed (exclusive bills and invoices, inclusive receipts)


def books_name(lines: int, seed: int) -> str:
    return f"books-{lines}-seed{seed}-v{BOOKS_VERSION}"


def sqlite_books(lines: int, seed: int, rebuild: bool) -> tuple[str, bool]:
    """The SQLite file's URL, and whether it holds books already."""
    db = OUT / f"{books_name(lines, seed)}.db"
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}", db.exists()


def postgres_books(server: str, lines: int, seed: int, rebuild: bool) -> tuple[str, bool]:
    """A database of its own on the server (``newledger_books_N_seedS_vV``), created if need be;
    its URL, and whether it holds books already (a company: the demo commits all or nothing)."""
    name = books_name(lines, seed).replace("-", "_").replace("books", "newledger_books")
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and rebuild:
                conn.execute(text(f'DROP DATABASE "{name}"'))
                exists = None
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    if not exists:
        return url, False
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            has_tables = conn.scalar(text("SELECT to_regclass('companies') IS NOT NULL"))
            built = bool(has_tables and conn.scalar(text("SELECT count(*) FROM companies")))
    finally:
        engine.dispose()
    return url, built


def build_books(url: str, built: bool, lines: int, seed: int) -> None:
    label = url.rsplit("/", 1)[-1]
    if built:
        print(f"  reusing {label}")
        return
    env = {**os.environ, "NEWLEDGER_DATABASE_URL": url, "NEWLEDGER_DATA_DIR": str(OUT)}
    started = time.perf_counter()
    subprocess.run(
        [
            *NEWLEDGER,
            "demo",
            "--lines",
            str(lines),
            "--seed",
            str(seed),
            "--as-of",
            AS_OF.isoformat(),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  built {label} in {time.perf_counter() - started:.1f} s")


def best_of(n: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def tax_figures(session: Session, company_id: int) -> dict[str, Any]:
    """How taxed the books are: taxed document lines, and documents by tax mode."""

    def count(*where: Any, model: Any = InvoiceLine) -> int:
        query = select(func.count()).select_from(model).where(model.company_id == company_id)
        return int(session.scalar(query.where(*where)) or 0)

    return {
        "invoice_lines": count(),
        "invoice_lines_taxed": count(InvoiceLine.tax_rate_id.is_not(None)),
        "expense_lines": count(model=ExpenseLine),
        "expense_lines_taxed": count(ExpenseLine.tax_rate_id.is_not(None), model=ExpenseLine),
        "taxed_documents": {
            f"{name}_{mode}": count(model.tax_total > 0, model.tax_mode == mode, model=model)
            for name, model in (("invoices", Invoice), ("expenses", Expense))
            for mode in ("exclusive", "inclusive")
        },
    }


def measure(url: str, export: Path, lines: int, check: bool) -> dict[str, Any]:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        # The demo bulk-loads in one transaction; PostgreSQL plans from statistics that only
        # ANALYZE (or autovacuum, off on some servers) gathers, and without them picks plans
        # for empty tables. A server in use has them: so do the books measured here.
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    factory: sessionmaker[Session] = make_sessionmaker(engine)
    with factory() as session:
        company = session.scalars(select(Company).order_by(Company.id)).first()
        assert company is not None, "the demo made no company"
        company_id = company.id
        actual_lines = session.scalar(
            select(func.count())
            .select_from(JournalLine)
            .where(JournalLine.company_id == company_id)
        )
        taxes = tax_figures(session, company_id)
    verify_seconds = None
    if check:
        started = time.perf_counter()
        with factory() as session:
            drifts = verify_books(session, company_id)
        verify_seconds = round(time.perf_counter() - started, 3)
        for drift in drifts[:20]:
            print(f"  drift: {drift}")
        assert not drifts, f"the books do not verify: {len(drifts)} drift(s)"
        print(f"  db verify: no drift ({verify_seconds:.1f} s)")
    actor = Actor.system(company_id, label="bench")
    start = AS_OF.replace(year=AS_OF.year - 1) + dt.timedelta(days=1)

    def run(fn: Callable[[Session], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with factory() as session:
                return fn(session)

        return call

    cases: dict[str, Callable[[], Any]] = {
        "pnl": run(
            lambda s: reports.profit_and_loss(s, actor, company_id, start, AS_OF, compare=1)
        ),
        "balance_sheet": run(lambda s: reports.balance_sheet(s, actor, company_id, AS_OF)),
        "ar_aging": run(lambda s: reports.ar_aging(s, actor, company_id, AS_OF)),
        # The same twelve months as the P&L: a year's return, the longest period people ask for.
        "sales_tax": run(lambda s: reports.sales_tax(s, actor, company_id, start, AS_OF)),
    }
    sheet = cases["balance_sheet"]()
    assert sheet.balanced, "the balance sheet does not balance"
    tax = cases["sales_tax"]()
    assert tax.ties_out, "the sales tax report does not tie out to the tax accounts"
    assert tax.total("sales_tax") > 0 and tax.total("purchases_tax") > 0, "the books are untaxed"
    newledger = {}
    for name, fn in cases.items():
        fn()  # warm
        newledger[name] = best_of(5, fn)

    started = time.perf_counter()
    with factory() as session, export.open("w", encoding="utf-8") as fh:
        transactions = write_ledger_journal(session, actor, company_id, fh)
    export_seconds = time.perf_counter() - started
    engine.dispose()

    ledger_cmd = ["ledger", "-f", str(export), "bal"]
    ledger_seconds = best_of(
        3, lambda: subprocess.run(ledger_cmd, check=True, stdout=subprocess.DEVNULL)
    )
    return {
        "requested_lines": lines,
        "journal_lines": actual_lines,
        "transactions": transactions,
        "tax": taxes,
        "sales_tax_ties_out": tax.ties_out,
        "verify_seconds": verify_seconds,
        "export_seconds": round(export_seconds, 3),
        "export_bytes": export.stat().st_size,
        "newledger_seconds": {k: round(v, 6) for k, v in newledger.items()},
        "ledger_bal_seconds": round(ledger_seconds, 3),
        "ratios": {k: round(ledger_seconds / v, 1) for k, v in newledger.items()},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(result: dict[str, Any]) -> None:
    taxes = result["tax"]
    print(
        f"  {result['journal_lines']:,} journal lines, "
        f"export {result['export_seconds']:.1f} s; "
        f"ledger bal {result['ledger_bal_seconds']:.2f} s; "
        f"taxed lines: invoices {taxes['invoice_lines_taxed']:,}/{taxes['invoice_lines']:,}, "
        f"expenses {taxes['expense_lines_taxed']:,}/{taxes['expense_lines']:,}"
    )
    for name, seconds in result["newledger_seconds"].items():
        print(
            f"  {name:<14} {seconds * 1000:8.2f} ms   "
            f"ledger/newledger = {result['ratios'][name]:,.0f}x"
        )
    print(f"  load average {' '.join(str(x) for x in result['load_average'])}")


def growth_of(results: list[dict[str, Any]]) -> dict[str, float]:
    if len(results) < 2:
        return {}
    small, large = results[0], results[-1]
    growth = {
        name: round(large["newledger_seconds"][name] / small["newledger_seconds"][name], 2)
        for name in small["newledger_seconds"]
    }
    growth["ledger_bal"] = round(large["ledger_bal_seconds"] / small["ledger_bal_seconds"], 2)
    print(
        f"growth {small['requested_lines']:,} -> {large['requested_lines']:,} lines: "
        + ", ".join(f"{k} {v:.2f}x" for k, v in growth.items())
    )
    return growth


def verdict_of(largest: dict[str, Any], growth: dict[str, float]) -> dict[str, Any]:
    return {
        "ratio_target": TARGET_RATIO,
        "growth_target": TARGET_GROWTH,
        "ratio_met": all(r >= TARGET_RATIO for r in largest["ratios"].values()),
        "growth_met": all(v <= TARGET_GROWTH for k, v in growth.items() if k != "ledger_bal")
        if growth
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite"]
    )
    parser.add_argument(
        "--postgres-url", default=POSTGRES, help="a server where the books get databases of "
        "their own (newledger_books_N_seedS_vV)",
    )  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="rebuild books even if present")
    parser.add_argument(
        "--check", action="store_true", help="verify the books (newledger db verify) first"
    )
    args = parser.parse_args()
    if shutil.which("ledger") is None:
        sys.exit("ledger-cli is not installed (Debian package `ledger`): nothing to compare with")
    OUT.mkdir(parents=True, exist_ok=True)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, list[dict[str, Any]]] = {}
    growth: dict[str, dict[str, float]] = {}
    verdict: dict[str, dict[str, Any]] = {}
    for database in args.databases:
        results[database] = []
        for lines in args.sizes:
            print(f"{lines:,} lines, {database}")
            if database == "sqlite":
                url, built = sqlite_books(lines, args.seed, args.rebuild)
            else:
                url, built = postgres_books(args.postgres_url, lines, args.seed, args.rebuild)
            build_books(url, built, lines, args.seed)
            export = OUT / f"{books_name(lines, args.seed)}-{database}.ledger"
            result = {"database": database, **measure(url, export, lines, args.check)}
            results[database].append(result)
            report(result)
        growth[database] = growth_of(results[database])
        verdict[database] = verdict_of(results[database][-1], growth[database])
        largest = results[database][-1]["requested_lines"]
        print(f"targets ({database}, at {largest:,} lines): {verdict[database]}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"reports-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "reports",
                "when": stamp,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "load_average": {
                    "start": load_at_start,
                    "end": [round(x, 2) for x in os.getloadavg()],
                },
                "as_of": AS_OF.isoformat(),
                "seed": args.seed,
                "results": results,
                "growth": growth,
                "verdict": verdict,
            },
            indent=2,
        )
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
