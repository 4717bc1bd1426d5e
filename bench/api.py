"""REST API benchmark: authenticated ``GET /api/v1/invoices?limit=50`` and what auth costs.

DESIGN §9 asks for ≥ 1,000 req/s on this 2-core machine, with authentication adding ≤ 15 % over
the same handler without it. The script:

1. loads the demo company (``newledger demo``) into a fresh SQLite file (WAL, durable);
2. creates an API credential app holding ``invoices:read`` (``newledger apps create``);
3. serves ``bench/twin_app.py`` with 2 uvicorn workers, as ``newledger serve --workers 2`` does
   (what we recommend on 2 cores): the real application plus the benchmark-only
   unauthenticated twin of the list handler at ``/api/v1/bench/invoices`` (it lives in
   ``bench/``, outside the installed package; never for real books), with the per-app rate
   limit raised above the load (``NEWLEDGER_API_RATE_LIMIT_PER_MINUTE``; wrk would otherwise
   count 429s);
4. fetches a token from ``POST /oauth/token`` and runs ``wrk -t1 -c32 -d10s`` alternately on the
   authenticated list and on the twin (A B A B), keeping the best round of each.

A round with any non-2xx response or socket error fails the run. Figures go to stdout and to
``bench/out/api-<time>.json``. CPU is shared with other work on this machine: read the ratio,
and treat absolute req/s as preliminary.

    .venv/bin/python bench/api.py                    # 2 rounds each, 10 s
    .venv/bin/python bench/api.py --rounds 3 --duration 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
BENCH_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"
SLUG = "northwind"
OWNER = f"owner@{SLUG}.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newledger.cli.main", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def wrk(url: str, duration: int, headers: dict[str, str]) -> dict[str, Any]:
    cmd = ["wrk", "-t1", "-c32", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw failed requests; this run does not count:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> str:
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        return m.group(1) if m else "?"

    return {"req_per_s": rps, "p50": pct("50"), "p99": pct("99")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--lines", type=int, default=None, help="demo size (journal lines)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="nl-bench-api-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "NEWLEDGER_DATA_DIR": str(tmp),
        "NEWLEDGER_PUBLIC_URL": base,
        "NEWLEDGER_SECRET_KEY": BENCH_KEY,
        "NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": "1000000000",
        "NEWLEDGER_ACCESS_TOKEN_TTL_SECONDS": "3600",
    }
    print("loading demo books …", flush=True)
    cli(env, "demo", *(["--lines", str(args.lines)] if args.lines else []))
    created = json.loads(
        cli(
            env,
            "apps",
            "create",
            "--company",
            SLUG,
            "--name",
            "Bench",
            "--permission",
            "invoices:read",
            "--created-by",
            OWNER,
            "--json",
        )
    )
    # The options `newledger serve` gives uvicorn (cli/serve.py), on the app plus its twin.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "twin_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-proxy-headers",
        ],
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(created["client_id"], created["client_secret"]),
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        authed_url = f"{base}/api/v1/invoices?limit=50"
        me = httpx.get(f"{base}/api/v1/me", headers=auth).json()
        company_id = me["company"]["id"]
        twin_url = f"{base}/api/v1/bench/invoices?company_id={company_id}&limit=50"
        a = httpx.get(authed_url, headers=auth)
        b = httpx.get(twin_url)
        assert a.status_code == b.status_code == 200, (a.text, b.text)
        assert a.json() == b.json(), "the twin must serve exactly the same page"
        rows = len(a.json()["data"])
        print(f"page: {rows} invoices, {len(a.content):,} bytes", flush=True)
        wrk(authed_url, 2, auth)  # warm-up: both workers, caches, compiled queries
        wrk(twin_url, 2, {})
        rounds: dict[str, list[dict[str, Any]]] = {"authenticated": [], "unauthenticated": []}
        for i in range(args.rounds):
            for name, url, headers in (
                ("authenticated", authed_url, auth),
                ("unauthenticated", twin_url, {}),
            ):
                result = wrk(url, args.duration, headers)
                rounds[name].append(result)
                print(f"round {i + 1} {name:16} {result}", flush=True)
    finally:
        server.terminate()
        server.wait(15)
    best = {k: max(v, key=lambda r: r["req_per_s"]) for k, v in rounds.items()}
    authed = best["authenticated"]["req_per_s"]
    bare = best["unauthenticated"]["req_per_s"]
    overhead = (bare - authed) / bare * 100
    summary = {
        "what": "GET /api/v1/invoices?limit=50 vs /api/v1/bench/invoices (same handler, no auth)",
        "load": f"wrk -t1 -c32 -d{args.duration}s x {args.rounds} rounds, A B A B, best of each",
        "server": "bench/twin_app.py, 2 uvicorn workers as newledger serve, SQLite WAL, demo books",
        "page_rows": rows,
        "authenticated_req_per_s": authed,
        "unauthenticated_req_per_s": bare,
        "auth_overhead_percent": round(overhead, 1),
        "target": {"authenticated_req_per_s": 1000, "auth_overhead_percent_max": 15},
        "rounds": rounds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    OUT.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"api-{stamp}.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"\nauthenticated {authed:,.0f} req/s, unauthenticated twin {bare:,.0f} req/s, "
        f"auth overhead {overhead:.1f} %  (target ≥ 1,000 req/s, ≤ 15 %)\nwrote {path}"
    )


if __name__ == "__main__":
    main()
