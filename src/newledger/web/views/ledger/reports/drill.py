"""Where a report figure leads: an account's ledger for a period (``journal:read``), one journal
entry (``journal:read``), and the documents behind an aging row (``reports:read``). Each line
links on to its invoice or expense when the person may read those."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger.account_ledger import DocumentRef, account_ledger, entry_documents
from newledger.ledger.journal import get_entry
from newledger.ledger.reports.aging import aging_documents
from newledger.web.context import WebContext
from newledger.web.deps import require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import account_names, contact_names
from newledger.web.views.ledger.reports.operations import AGING_COLUMNS
from newledger.web.views.ledger.reports.query import parse_query

__all__ = ["document_url", "router"]

router = web_router()
_journal = require_permission(Permission.JOURNAL_READ)
_reports = require_permission(Permission.REPORTS_READ)
_DOCUMENT_READ = {"invoice": Permission.INVOICES_READ, "expense": Permission.EXPENSES_READ}


def document_url(ctx: WebContext, ref: DocumentRef) -> str | None:
    """The page of an entry's document, if this person may read it."""
    if ref.kind == "entry":
        return f"/reports/entries/{ref.id}"
    if not ctx.can(_DOCUMENT_READ[ref.kind]):
        return None
    return f"/{ref.kind}s/{ref.id}"


@router.get("/reports/accounts/{account_id}")
def account_ledger_page(
    request: Request, account_id: int, ctx: WebContext = Depends(_journal)
) -> Response:
    assert ctx.company is not None
    q = parse_query(
        request.query_params,
        dt.date.today(),
        ctx.company.fiscal_year_start_month,
        month_to_date=False,
    )
    params = request.query_params
    currency = params.get("currency", "").strip().upper() or None
    cursor = params.get("cursor", "").strip() or None
    ledger = account_ledger(
        ctx.db, ctx.actor, account_id, q.start, q.end, currency=currency, cursor=cursor
    )
    documents = entry_documents(ctx.db, ctx.company.id, {ln.entry_id for ln in ledger.lines})
    base = {"from": q.start.isoformat(), "to": q.end.isoformat()}
    if currency:
        base["currency"] = ledger.currency
    next_url = None
    if ledger.next_cursor:
        next_url = f"{request.url.path}?{urlencode({**base, 'cursor': ledger.next_cursor})}"
    return render(
        request,
        "ledger/reports/account_ledger.html",
        ctx,
        status=422 if q.errors else 200,
        ledger=ledger,
        documents={e: (ref, document_url(ctx, ref)) for e, ref in documents.items()},
        contacts=contact_names(ctx.db, ctx.company.id, [ln.contact_id for ln in ledger.lines]),
        filters=q.form,
        errors=q.errors,
        hidden={"currency": ledger.currency} if currency else {},
        first_url=f"{request.url.path}?{urlencode(base)}" if cursor else None,
        next_url=next_url,
    )


@router.get("/reports/entries/{entry_id}")
def journal_entry_page(
    request: Request, entry_id: int, ctx: WebContext = Depends(_journal)
) -> Response:
    assert ctx.company is not None
    entry = get_entry(ctx.db, ctx.actor, entry_id)
    ref = entry_documents(ctx.db, ctx.company.id, [entry.id])[entry.id]
    lines = sorted(entry.lines, key=lambda ln: ln.id)
    return render(
        request,
        "ledger/reports/entry.html",
        ctx,
        entry=entry,
        lines=lines,
        document=(ref, document_url(ctx, ref)) if ref.kind != "entry" else None,
        accounts=account_names(ctx.db, ctx.company.id),
        contacts=contact_names(ctx.db, ctx.company.id, [ln.contact_id for ln in lines]),
        ledger_range=(entry.date.isoformat(), entry.date.isoformat()),
    )


def _aging_documents_page(kind: str, slug: str) -> Callable[..., Response]:
    def page(request: Request, contact_id: int, ctx: WebContext = Depends(_reports)) -> Response:
        assert ctx.company is not None
        q = parse_query(
            request.query_params,
            dt.date.today(),
            ctx.company.fiscal_year_start_month,
            month_to_date=False,
        )
        found = aging_documents(ctx.db, ctx.actor, kind, ctx.company.id, contact_id, q.as_of)
        doc_kind = "invoice" if kind == "receivable" else "expense"
        readable = ctx.can(_DOCUMENT_READ[doc_kind])
        return render(
            request,
            "ledger/reports/aging_documents.html",
            ctx,
            status=422 if q.errors else 200,
            found=found,
            slug=slug,
            title="Accounts receivable aging" if kind == "receivable" else "Accounts payable aging",
            doc_path=f"/{doc_kind}s" if readable else None,
            contact_url=(
                f"/contacts/{contact_id}"
                if contact_id and ctx.can(Permission.CONTACTS_READ)
                else None
            ),
            columns=AGING_COLUMNS,
            filters=q.form,
            errors=q.errors,
        )

    return page


for _kind, _slug in (("receivable", "ar-aging"), ("payable", "ap-aging")):
    router.add_api_route(
        f"/reports/{_slug}/contacts/{{contact_id}}",
        _aging_documents_page(_kind, _slug),
        methods=["GET"],
    )
