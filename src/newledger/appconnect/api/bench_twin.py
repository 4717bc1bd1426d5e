"""Benchmark only: the invoice list handler without authentication, at
``/api/v1/bench/invoices``.

``bench/api.py`` compares this twin with ``GET /api/v1/invoices`` to measure what
authentication (token check, grant read, rate limit, permission) adds. It is mounted only when
``NEWLEDGER_BENCH_UNAUTHENTICATED_TWIN=1`` (see ``app.BENCH_TWIN_ENV``) and must never be enabled
on a server holding real books: it serves any company's invoices to anyone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from newledger.actor import Actor
from newledger.appconnect.api.deps import api_session, json_response
from newledger.appconnect.api.pagination import list_params
from newledger.appconnect.api.resources.invoices import invoice_filters, invoice_page
from newledger.appconnect.api.schemas import MAX_ID
from newledger.ledger.invoice_list import InvoiceFilters
from newledger.pagination import PageRequest

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/bench/invoices")
async def bench_invoices(
    company_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    params: Annotated[PageRequest, Depends(list_params)],
    filters: Annotated[InvoiceFilters, Depends(invoice_filters)],
    session: Annotated[Session, Depends(api_session)],
) -> Response:
    # The system actor reads any company: exactly what this twin must never do on real books.
    return json_response(invoice_page(session, Actor.system(company_id), params, filters))
