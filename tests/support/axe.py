"""axe-core in the real browser: the accessibility rules of Deque's axe, run on a loaded page.

``axe.min.js`` comes from the npm registry with the MCP peers (``make mcp-peers`` installs
``tests/mcp/node``'s lockfile into ``.cache/node``). It is evaluated through the DevTools
protocol, which the page's Content-Security-Policy does not govern, so the page under test keeps
its strict CSP.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

__all__ = ["AXE", "serious_violations"]

AXE = Path(__file__).resolve().parents[2] / ".cache/node/node_modules/axe-core/axe.min.js"


@cache
def _source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `make mcp-peers`")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations of impact serious or critical on ``page``, each with its rule id, help
    text and the first failing elements (empty when there are none)."""
    page.evaluate(_source())
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:3]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
