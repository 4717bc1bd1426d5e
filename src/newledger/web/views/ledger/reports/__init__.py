"""Reports on screen: the index, the eight reports with CSV and print styles (``pages``), and
the drill-down from a figure to its entries and documents (``drill``).

The figures come from the report services (``newledger.ledger.reports``) the REST API and MCP
answer with, shaped once (``model``) for the page and its CSV alike.
"""

from __future__ import annotations

from fastapi import APIRouter

from newledger.web.views.ledger.reports import drill, pages

__all__ = ["router"]

router = APIRouter()
for _module in (pages, drill):
    router.include_router(_module.router)
