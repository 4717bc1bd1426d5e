"""Reports benchmark: NewLedger's P&L, balance sheet and AR aging vs `ledger -f EXPORT bal`.

For each size it builds demo books (`newledger demo --lines N --seed 1`) into its own SQLite
file under bench/out/, exports them as a ledger-cli journal, then in the same run times
NewLedger's reports (warm, best of 5) and `ledger -f EXPORT bal` (best of 3) on the same books.
It prints ratios (ledger time / NewLedger time) and the growth from the smallest to the largest
size, and writes the figures as JSON to bench/out/.

    .venv/bin/python bench/reports.py                 # 100k and 1M lines (DESIGN §9 targets)
    .venv/bin/python bench/reports.py --sizes 20000   # a quick look
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

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.db import make_engine, make_sessionmaker
from newledger.identity.models import Company
from newledger.ledger import reports
from newledger.ledger.export import write_ledger_journal
from newledger.ledger.models import JournalLine

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
AS_OF = dt.date(2025, 6, 30)  # fixed, so every run builds the same books
NEWLEDGER = [sys.executable, "-m", "newledger.cli.main"]
TARGET_RATIO = 50.0
TARGET_GROWTH = 2.0


def build_books(lines: int, seed: int, rebuild: bool) -> Path:
    db = OUT / f"books-{lines}-seed{seed}.db"
    if db.exists() and not rebuild:
        print(f"  reusing {db.name}")
        return db
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": f"sqlite:///{db}",
        "NEWLEDGER_DATA_DIR": str(OUT),
    }
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
    print(f"  built {db.name} in {time.perf_counter() - started:.1f} s")
    return db


def best_of(n: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(db: Path, lines: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{db}")
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
    }
    sheet = cases["balance_sheet"]()
    assert sheet.balanced, "the balance sheet does not balance"
    newledger = {}
    for name, fn in cases.items():
        fn()  # warm
        newledger[name] = best_of(5, fn)

    export = db.with_suffix(".ledger")
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
        "export_seconds": round(export_seconds, 3),
        "export_bytes": export.stat().st_size,
        "newledger_seconds": {k: round(v, 6) for k, v in newledger.items()},
        "ledger_bal_seconds": round(ledger_seconds, 3),
        "ratios": {k: round(ledger_seconds / v, 1) for k, v in newledger.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="rebuild books even if present")
    args = parser.parse_args()
    if shutil.which("ledger") is None:
        sys.exit("ledger-cli is not installed (Debian package `ledger`): nothing to compare with")
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for lines in args.sizes:
        print(f"{lines:,} lines")
        db = build_books(lines, args.seed, args.rebuild)
        result = measure(db, lines)
        results.append(result)
        nl = result["newledger_seconds"]
        print(
            f"  {result['journal_lines']:,} journal lines, "
            f"export {result['export_seconds']:.1f} s; "
            f"ledger bal {result['ledger_bal_seconds']:.2f} s"
        )
        for name, seconds in nl.items():
            print(
                f"  {name:<14} {seconds * 1000:8.2f} ms   "
                f"ledger/newledger = {result['ratios'][name]:,.0f}x"
            )
    growth: dict[str, float] = {}
    if len(results) > 1:
        small, large = results[0], results[-1]
        for name in small["newledger_seconds"]:
            growth[name] = round(
                large["newledger_seconds"][name] / small["newledger_seconds"][name], 2
            )
        growth["ledger_bal"] = round(large["ledger_bal_seconds"] / small["ledger_bal_seconds"], 2)
        print(
            f"growth {small['requested_lines']:,} -> {large['requested_lines']:,} lines: "
            + ", ".join(f"{k} {v:.2f}x" for k, v in growth.items())
        )
    largest = results[-1]
    verdict = {
        "ratio_target": TARGET_RATIO,
        "growth_target": TARGET_GROWTH,
        "ratio_met": all(r >= TARGET_RATIO for r in largest["ratios"].values()),
        "growth_met": all(v <= TARGET_GROWTH for k, v in growth.items() if k != "ledger_bal")
        if growth
        else None,
    }
    print(f"targets (at {largest['requested_lines']:,} lines): {verdict}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"reports-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "reports",
                "when": stamp,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
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
