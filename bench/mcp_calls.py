"""MCP benchmark: authenticated ``tools/call`` against the TypeScript SDK peer, and a report over
MCP against the same report over REST (DESIGN §9).

1. Loads the demo company into a fresh SQLite file (WAL, durable, activity on) and creates an
   app with ``reports:read`` and ``company:read``; NewLedger serves with 2 workers (what we
   recommend on 2 cores), the per-grant limit raised above the load
   (``NEWLEDGER_API_RATE_LIMIT_PER_MINUTE``), every call checking its token as REST does.
2. Copies ``../shared/peers/mcp-ts`` to a scratch folder, ``npm install`` there, runs it.
3. ``wrk -t1 -c32`` with ``mcp_call.lua``, alternating A B A B, best round of each: the peer's
   ``cash_position`` (2025-11-25) and NewLedger's ``cash_position`` in each era.
4. Latency: ``tools/call profit_and_loss`` against ``GET /api/v1/reports/profit-and-loss`` for
   the same period, at ``-c4`` and at ``-c1`` (one connection: one worker, no queueing).

Prints calls/s, p50, p99 and the server CPU per call (from ``/proc``, all processes of each
server) and the ratios, among them the peer's CPU per call over NewLedger's (what the calls/s
ratio tends to on an idle machine, times the cores NewLedger's 2 workers can use and the peer's
one process cannot), and the load average before and after; writes ``bench/out/mcp-<time>.json``.
The machine is shared: read the ratios, not the absolute figures, and the load average beside
them. A round with non-2xx answers or socket errors does not count.

    .venv/bin/python bench/mcp_calls.py --rounds 2 --duration 5
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
OUT = ROOT / "out"
PEERS = REPO.parent / "shared" / "peers"
LUA = PEERS / "mcp_call.lua"
KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"
PEER_TOKEN = "peer-token-0123456789abcdef"
sys.path.insert(0, str(ROOT))
from api import cli, free_port  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its children, in seconds."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(
    url: str, env: dict[str, str], duration: int, conns: int, pid: int, script: Path
) -> dict[str, Any]:
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "-s", str(script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50, p99 = (float(x) for x in re.search(r"p50 ([\d.]+) ms\s+p99 ([\d.]+) ms", out).groups())  # type: ignore[union-attr]
    bad = "Non-2xx" in out or "Socket errors" in out
    return {
        "rate": rate,
        "p50_ms": p50,
        "p99_ms": p99,
        "cpu_ms_per_call": 1000 * cpu / max(total, 1),
        "valid": not bad,
        "raw": out if bad else "",
    }


def wait(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nl-mcp-bench-"))
    port, peer_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEWLEDGER_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "NEWLEDGER_DATA_DIR": str(work),
        "NEWLEDGER_PUBLIC_URL": base,
        "NEWLEDGER_SECRET_KEY": KEY,
        "NEWLEDGER_API_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    cli(env, "db", "upgrade")
    cli(env, "demo")
    created = json.loads(
        cli(
            env,
            "apps",
            "create",
            "--company",
            "northwind",
            "--name",
            "bench",
            "--permission",
            "reports:read",
            "--permission",
            "company:read",
            "--created-by",
            "owner@northwind.example",
            "--json",
        )
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newledger.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-migrate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peer_dir = Path(tempfile.mkdtemp(prefix="mcp-ts-"))
    shutil.copytree(PEERS / "mcp-ts", peer_dir, dirs_exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"], cwd=peer_dir, check=True, capture_output=True
    )
    peer = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=peer_dir,
        env={**os.environ, "PORT": str(peer_port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(f"{base}/healthz")
        wait(f"http://127.0.0.1:{peer_port}/mcp")
        auth = (created["client_id"], created["client_secret"])

        def token(resource: str) -> str:
            r = httpx.post(
                f"{base}/oauth/token",
                auth=auth,
                data={"grant_type": "client_credentials", "resource": resource},
            )
            r.raise_for_status()
            return str(r.json()["access_token"])

        mcp_url = f"{base}/mcp/northwind"
        mcp_token, rest_token = token(mcp_url), token(f"{base}/api/v1")
        sides = {
            "peer": (f"http://127.0.0.1:{peer_port}/mcp", {"TOKEN": PEER_TOKEN}, peer.pid),
            "newledger_2025": (mcp_url, {"TOKEN": mcp_token}, server.pid),
            "newledger_2026": (mcp_url, {"TOKEN": mcp_token, "PV": "2026-07-28"}, server.pid),
        }
        load_before = os.getloadavg()
        best: dict[str, dict[str, Any]] = {}
        for _ in range(args.rounds):
            for name, (url, extra, pid) in sides.items():
                got = wrk(url, extra, args.duration, 32, pid, LUA)
                if got["valid"] and got["rate"] > best.get(name, {"rate": -1})["rate"]:
                    best[name] = got
                print(
                    name,
                    got["rate"],
                    got["p50_ms"],
                    got["p99_ms"],
                    f"{got['cpu_ms_per_call']:.2f} ms CPU",
                    "" if got["valid"] else "INVALID",
                    flush=True,
                )
        # A report: MCP tools/call against REST GET, same period, low concurrency.
        period = {"start": "2026-01-01", "end": dt.date.today().isoformat()}
        rest_lua = work / "get.lua"
        rest_lua.write_text(
            'wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")\n'
            "done = function(s, latency, r)\n"
            '  io.write(string.format("p50 %.2f ms  p99 %.2f ms\\n", latency:percentile(50) / 1000,'
            " latency:percentile(99) / 1000))\nend\n"
        )
        report: dict[str, dict[str, Any]] = {}
        rest_url = (
            f"{base}/api/v1/reports/profit-and-loss?from={period['start']}&to={period['end']}"
        )
        # At -c4 the two workers may take the four connections 2+2, 3+1 or 4+0 (they accept from
        # one shared socket), which moves p50 more than either side's work does; -c1 is one
        # connection on one worker, the latency of a single call, for both sides alike.
        for _ in range(args.rounds):
            for conns, suffix in ((4, ""), (1, "_c1")):
                for name, run in (
                    (
                        "rest_pnl",
                        lambda c=conns: wrk(
                            rest_url, {"TOKEN": rest_token}, args.duration, c, server.pid, rest_lua
                        ),
                    ),
                    (
                        "mcp_pnl",
                        lambda c=conns: wrk(
                            mcp_url,
                            {
                                "TOKEN": mcp_token,
                                "TOOL": "profit_and_loss",
                                "ARGS": json.dumps(period),
                            },
                            args.duration,
                            c,
                            server.pid,
                            LUA,
                        ),
                    ),
                ):
                    got = run()
                    key = name + suffix
                    if got["valid"] and got["p50_ms"] < report.get(key, {"p50_ms": 1e9})["p50_ms"]:
                        report[key] = got
                    print(
                        key,
                        got["rate"],
                        got["p50_ms"],
                        got["p99_ms"],
                        f"{got['cpu_ms_per_call']:.2f} ms CPU",
                        "" if got["valid"] else "INVALID",
                        flush=True,
                    )
        summary: dict[str, Any] = {
            "best": best,
            "report": report,
            "machine": "shared 2-core",
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        }
        if "peer" in best:
            for era in ("newledger_2025", "newledger_2026"):
                if era in best:
                    summary[f"ratio_{era}_vs_peer"] = best[era]["rate"] / best["peer"]["rate"]
                    summary[f"cpu_ratio_peer_over_{era}"] = (
                        best["peer"]["cpu_ms_per_call"] / best[era]["cpu_ms_per_call"]
                    )
        for suffix in ("", "_c1"):
            if {f"rest_pnl{suffix}", f"mcp_pnl{suffix}"} <= report.keys():
                summary[f"pnl_latency_ratio_p50{suffix}"] = (
                    report[f"mcp_pnl{suffix}"]["p50_ms"] / report[f"rest_pnl{suffix}"]["p50_ms"]
                )
        print(
            json.dumps(
                {k: v for k, v in summary.items() if k.startswith(("ratio", "cpu", "pnl", "load"))},
                indent=2,
            )
        )
        OUT.mkdir(exist_ok=True)
        (OUT / f"mcp-{dt.datetime.now():%Y%m%d-%H%M%S}.json").write_text(
            json.dumps(summary, indent=2)
        )
    finally:
        server.terminate()
        peer.terminate()
        server.wait(20)
        peer.wait(20)


if __name__ == "__main__":
    main()
