"""Benchmark only: the real application plus the invoice list handler without authentication,
at ``/api/v1/bench/invoices``.

``bench/api.py`` compares this twin with ``GET /api/v1/invoices`` to measure what
authentication (token check, grant read, rate limit, permission) adds. The twin sits inside the
API application, so the only difference between the two is authentication. It lives here, not in
the installed package, because it serves any company's invoices to anyone: never point it at real
books. Served by ``bench/api.py`` as ``uvicorn twin_app:create_app --factory`` with
``PYTHONPATH=bench``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from newledger.actor import Actor
from newledger.appconnect.api.deps import api_session, json_response
from newledger.appconnect.api.pagination import list_params
from newledger.appconnect.api.resources.invoices import invoice_filters, invoice_page
from newledger.appconnect.api.schemas import MAX_ID
from newledger.ledger.invoice_list import InvoiceFilters
from newledger.pagination import PageRequest
from newledger.web.app import create_app as create_real_app

__all__ = ["create_app"]

router = APIRouter(include_in_schema=False)


@router.get("/bench/invoices")
async def bench_invoices(
    company_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    session: Annotated[Session, Depends(api_session)],
) -> Response:
    # The system actor may read any company: exactly what makes this twin unfit for real books.
    return json_response(invoice_page(session, Actor.system(company_id), params, filters))


def _api_app(app: ASGIApp) -> FastAPI:
    """The FastAPI application mounted at ``/api/v1``, found through the ASGI wrappers
    (``RequestGuard``, ``OAuthEndpoints``) that each keep the app they wrap as ``.app``."""
    inner: object = app
    while not isinstance(inner, FastAPI):
        inner = getattr(inner, "app")  # noqa: B009 - each wrapper's attribute, not typed
    for route in inner.router.routes:
        if isinstance(route, Mount) and route.path == "/api/v1" and isinstance(route.app, FastAPI):
            return route.app
    raise RuntimeError("no FastAPI application mounted at /api/v1")


def create_app() -> ASGIApp:
    """``newledger serve``'s application, with the unauthenticated twin added to its API."""
    app = create_real_app()
    _api_app(app).include_router(router)
    return app
