"""Token endpoint benchmark: NewLedger ``client_credentials`` vs node oidc-provider (DESIGN §9).

Same load for both (``wrk -t1 -c32 -d10s -s ../shared/peers/client_credentials.lua``), rounds
alternating A B A B, best of each, in one run (``../shared/peers/README.md``):

- peer: a copy of ``shared/peers/oidc-provider`` in ``bench/out/peer`` (``npm install`` once),
  in-memory storage, one node process on a free port;
- NewLedger: ``newledger serve --workers 2`` (what we recommend on a 2-core machine) on a fresh
  SQLite file (durable storage, WAL) with activity logging on, and the token rate limits raised
  above the load through ``NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT`` / ``_PER_IP``, since wrk
  would otherwise count 429s as requests.

A round with any non-2xx response or socket error fails the run. Figures go to stdout and to
``bench/out/tokens-<time>.json``. ``--profile`` also records a py-spy flame graph of one
NewLedger worker during an extra round (``pip install py-spy``).

    .venv/bin/python bench/tokens.py                  # 2 rounds each, 10 s
    .venv/bin/python bench/tokens.py --rounds 3 --duration 5 --profile
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
OUT = ROOT / "out"
PEERS = REPO.parent / "shared" / "peers"
LUA = PEERS / "client_credentials.lua"
PEER_ID = "peer-app"
PEER_SECRET = "peer-secret-0123456789abcdef0123456789abcdef"
SCOPE = "invoices:read"
BENCH_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited during start-up")
        try:
            httpx.post(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def start_peer() -> tuple[subprocess.Popen[bytes], str]:
    peer_dir = OUT / "peer"
    if not (peer_dir / "node_modules").exists():
        shutil.copytree(PEERS / "oidc-provider", peer_dir, dirs_exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=peer_dir, check=True
        )
    port = free_port()
    proc = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=peer_dir,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/token"
    wait_until_up(url, proc, "oidc-provider")
    return proc, url


def newledger_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEWLEDGER_DATA_DIR": str(data_dir),
        "NEWLEDGER_DATABASE_URL": f"sqlite:///{data_dir / 'newledger.db'}",
        "NEWLEDGER_SECRET_KEY": BENCH_KEY,
        "NEWLEDGER_TOKEN_RATE_LIMIT_PER_CLIENT": "100000000",
        "NEWLEDGER_TOKEN_RATE_LIMIT_PER_IP": "100000000",
    }


SETUP = """
import json
from newledger.actor import Actor
from newledger.appconnect.apps import create_app
from newledger.db import session_scope
from newledger.identity.permissions import Role
from newledger.identity.services import add_member, create_company, create_user, user_actor
from newledger.migrate import upgrade
from newledger.runtime import get_engine, get_sessionmaker

upgrade(get_engine())
with session_scope(get_sessionmaker()) as s:
    owner = create_user(s, email="owner@bench.example", name="Owner", password="x" * 16)
    company = create_company(s, name="Bench Ltd", slug="bench", owner=owner)
    app, secret = create_app(
        s, user_actor(s, owner, company.id), name="wrk",
        permissions=["invoices:read", "reports:read"],
    )
print(json.dumps({"client_id": app.client_id, "client_secret": secret}))
"""


def start_newledger(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    env = newledger_env(data_dir)
    made = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True
    )
    cred = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newledger.cli.main",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
        ],
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/oauth/token"
    wait_until_up(url, proc, "newledger serve")
    return proc, url, cred


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers)."""
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [str(pid), *children]
    ticks = 0
    for p in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, client_id: str, secret: str, duration: int) -> dict[str, Any]:
    env = {**os.environ, "CLIENT_ID": client_id, "CLIENT_SECRET": secret, "SCOPE": SCOPE}
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{duration}s", "-s", str(LUA), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p = re.search(r"p50_ms=([\d.]+) p99_ms=([\d.]+)", out)
    if rps is None or p is None:
        raise SystemExit("could not parse wrk output:\n" + out)
    errors = [
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    ]
    return {
        "rps": float(rps.group(1)),
        "p50_ms": float(p.group(1)),
        "p99_ms": float(p.group(2)),
        "errors": errors,
        "raw": out,
    }


def check_token(url: str, client_id: str, secret: str) -> None:
    """Both servers must really issue tokens before we time them."""
    r = httpx.post(
        url, data={"grant_type": "client_credentials", "scope": SCOPE}, auth=(client_id, secret)
    )
    if r.status_code != 200 or "access_token" not in r.json():
        raise SystemExit(f"{url} did not issue a token: {r.status_code} {r.text}")


def worker_pids(proc: subprocess.Popen[bytes]) -> list[str]:
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def profile(
    proc: subprocess.Popen[bytes], load: Callable[[], object], stamp: str
) -> dict[str, Any]:
    """Sample one worker with py-spy (collapsed stacks) while ``load`` runs; summarise."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy); skipping the profile")
        return {}
    raw = OUT / f"tokens-profile-{stamp}.txt"
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            worker_pids(proc)[0],
            "--duration",
            "8",
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load()
    recorder.wait(60)
    return summarise_profile(raw)


# Buckets for "where does the time go", matched against each sample's stack (first match wins,
# checked from the leaf up).
BUCKETS = [
    ("sqlite/sql execute", ("sqlite3", "do_execute", "_exec_single_context")),
    ("sqlalchemy (compile, result, pool)", ("sqlalchemy",)),
    ("hmac/hashlib", ("hmac.py", "hashlib")),
    ("token endpoint code", ("newledger/appconnect",)),
    ("middleware (security headers, CSRF)", ("newledger/web/security",)),
    ("starlette/fastapi routing", ("starlette", "fastapi")),
    ("uvicorn/httptools (HTTP parse, write)", ("uvicorn", "httptools", "h11")),
    ("asyncio event loop", ("asyncio", "uvloop")),
]


def summarise_profile(raw: Path) -> dict[str, Any]:
    counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")[::-1]  # leaf first
        total += int(n)
        bucket = "other"
        for frame in frames:
            hit = next((b for b, needles in BUCKETS if any(x in frame for x in needles)), None)
            if hit:
                bucket = hit
                break
        counts[bucket] = counts.get(bucket, 0) + int(n)
    shares = {
        k: round(100 * v / total, 1) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
    }
    print("profile (share of samples in one worker, by innermost recognised frame):")
    for k, v in shares.items():
        print(f"  {v:5.1f}%  {k}")
    return {"samples": total, "share_percent": shares, "raw": str(raw)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server (A B A B)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk round")
    parser.add_argument("--profile", action="store_true", help="py-spy one worker, extra round")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="nl-bench-tokens-") as tmp:
        try:
            peer, peer_url = start_peer()
            procs.append(peer)
            nl, nl_url, cred = start_newledger(Path(tmp))
            procs.append(nl)
            check_token(peer_url, PEER_ID, PEER_SECRET)
            check_token(nl_url, cred["client_id"], cred["client_secret"])
            targets = {
                "oidc-provider": (peer_url, PEER_ID, PEER_SECRET),
                "newledger": (nl_url, cred["client_id"], cred["client_secret"]),
            }
            for url, cid, sec in targets.values():  # warm-up, not counted
                wrk(url, cid, sec, 2)
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            pids = {"oidc-provider": peer.pid, "newledger": nl.pid}
            for i in range(args.rounds):
                for name, (url, cid, sec) in targets.items():
                    cpu_before = cpu_seconds(pids[name])
                    r = wrk(url, cid, sec, args.duration)
                    requests = r["rps"] * args.duration
                    used = cpu_seconds(pids[name]) - cpu_before
                    r["server_cpu_us_per_request"] = round(1e6 * used / max(requests, 1), 1)
                    results[name].append(r)
                    print(f"round {i + 1} {name:14s} {describe(r)} {' '.join(r['errors'])}")
                    if r["errors"]:
                        raise SystemExit(f"{name}: wrk reported errors, the run does not count")
            prof: dict[str, Any] = {}
            if args.profile:
                url, cid, sec = targets["newledger"]
                prof = profile(nl, lambda: wrk(url, cid, sec, args.duration), stamp)
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    best = {name: max(rs, key=lambda r: r["rps"]) for name, rs in results.items()}
    ratio = best["newledger"]["rps"] / best["oidc-provider"]["rps"]
    cpu = {name: min(r["server_cpu_us_per_request"] for r in rs) for name, rs in results.items()}
    cpu_ratio = cpu["oidc-provider"] / cpu["newledger"]
    strip = lambda r: {k: v for k, v in r.items() if k != "raw"}  # noqa: E731
    report = {
        "benchmark": "client_credentials tokens/s",
        "when": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_at_end": os.getloadavg(),
        },
        "load": f"wrk -t1 -c32 -d{args.duration}s, alternating A B, best of {args.rounds}",
        "newledger": "serve --workers 2, SQLite WAL file, activity on, rate limits raised",
        "peer": "node oidc-provider (in-memory), 1 process",
        "best": {name: strip(r) for name, r in best.items()},
        "rounds": {name: [strip(r) for r in rs] for name, rs in results.items()},
        "ratio_newledger_over_peer": round(ratio, 3),
        "server_cpu_us_per_request": cpu,
        "ratio_peer_cpu_over_newledger_cpu": round(cpu_ratio, 3),
        "target_ratio": 1.5,
        "profile": prof,
    }
    path = OUT / f"tokens-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    for name, r in best.items():
        print(f"best  {name:14s} {describe(r)}")
    print(f"ratio newledger/oidc-provider tokens/s = {ratio:.2f} (target >= 1.5)")
    print(
        f"server CPU per token: newledger {cpu['newledger']} us,"
        f" oidc-provider {cpu['oidc-provider']} us"
    )
    print(f"  (tokens per CPU-second ratio {cpu_ratio:.2f}) -> {path}")


def describe(r: dict[str, Any]) -> str:
    return (
        f"{r['rps']:9.1f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        f"  cpu {r['server_cpu_us_per_request']} us/req"
    )


if __name__ == "__main__":
    main()
