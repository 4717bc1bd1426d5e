"""Redis for the rate-limit tests: a private ``redis-server`` that a test may stop, or the shared
one named by ``NEWLEDGER_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis

from tests.conftest import free_port

TEST_REDIS_URL = os.environ.get("NEWLEDGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def shared_redis_url() -> str:
    """``NEWLEDGER_TEST_REDIS_URL``; skips the test when nothing answers there."""
    if not answers(TEST_REDIS_URL):
        pytest.skip(
            f"no Redis answers at NEWLEDGER_TEST_REDIS_URL={TEST_REDIS_URL} "
            "(.ci/run starts one on 127.0.0.1:6379)"
        )
    return TEST_REDIS_URL


class RedisServer:
    """A private ``redis-server`` on a free port, without persistence; ``stop`` and ``start``
    it to test an outage."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not answers(self.url):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
