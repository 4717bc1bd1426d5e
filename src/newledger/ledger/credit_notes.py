"""Credit notes: money a company owes back to a customer (``kind`` sales, ``CN-00001``) or is
owed back by a vendor (``kind`` purchase, a vendor credit, ``VC-00001``).

draft → approved → applied (nothing left); draft → rejected; approved → voided (only while
nothing of it is allocated or refunded). Drafts may come from people, apps and connections
holding ``invoices:draft`` (sales) or ``expenses:draft`` (purchase); only a person holding
``ledger:post`` approves, and approval is what posts:

- sales: Dr each line's income account its net and each tax rate's account its tax / Cr AR
  (the customer) the total: the mirror of an invoice;
- purchase: Dr AP (the vendor) the total / Cr each line's expense account its net and each tax
  rate's account its tax: the mirror of a bill.

A draft may carry proposed allocations to open invoices or bills of the same contact; approval
applies them (``newledger.ledger.credit_allocations``), checked again then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, NotFound, ValidationFailed
from newledger.events.changes import emit
from newledger.identity.models import Company
from newledger.ledger import credit_allocations as allocations
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    load_contact,
    parse_date,
    require_draft,
    require_poster,
    source_fields,
)
from newledger.ledger._lifecycle import mark_approved, mark_rejected, post_void
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.credit_kinds import KINDS, CreditKind, credit_kind
from newledger.ledger.invoice_lines import (
    build_invoice_lines,
    insert_numbered,
    invoice_line_input,
)
from newledger.ledger.models import CreditAllocation, CreditNote, CreditNoteLine
from newledger.ledger.posting import LineSpec, post_entry
from newledger.ledger.tax_rates import parse_tax_mode, tax_postings
from newledger.money import format_minor, validate_currency
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "CREDIT_NOTE_ORDERS",
    "KINDS",
    "CreditNoteFilters",
    "approve_credit_note",
    "count_credit_notes",
    "create_draft_credit_note",
    "credit_note_version",
    "delete_draft_credit_note",
    "get_credit_note",
    "list_credit_notes",
    "reject_credit_note",
    "update_draft_credit_note",
    "void_credit_note",
]

_EDITABLE = frozenset(
    {"contact_id", "date", "currency", "tax_mode", "reference", "memo", "lines", "allocations"}
)


def _build(
    session: Session,
    company: Company,
    kind: CreditKind,
    values: dict[str, Any],
) -> dict[str, Any]:
    """Check a whole credit note (new, or current values merged with changes): column values,
    ``lines`` as ``CreditNoteLine`` keyword dicts and ``proposed`` allocations."""
    contact = load_contact(session, company.id, values.get("contact_id"), kinds=kind.contacts)
    day = parse_date(values.get("date"), "date")
    cur = validate_currency(values.get("currency") or company.home_currency)
    mode = parse_tax_mode(values.get("tax_mode"))
    lines, figures = build_invoice_lines(
        session, company, contact, cur, values.get("lines"), mode, side=kind.side, noun=kind.noun
    )
    proposed = allocations.check_proposed(
        session, company.id, kind, contact.id, cur, figures.total, day, values.get("allocations")
    )
    return {
        "contact_id": contact.id,
        "date": day,
        "currency": cur,
        "tax_mode": mode,
        "reference": str(values.get("reference") or "")[:100],
        "memo": str(values.get("memo") or "")[:5000],
        "subtotal": figures.subtotal,
        "tax_total": figures.tax_total,
        "total": figures.total,
        "lines": lines,
        "proposed": proposed,
    }


def create_draft_credit_note(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    contact_id: int,
    date: dt.date | str,
    lines: list[dict[str, Any]],
    currency: str | None = None,
    tax_mode: str | None = None,
    reference: str = "",
    memo: str = "",
    allocations: list[dict[str, Any]] | None = None,
    company_id: int | None = None,
) -> CreditNote:
    """Create a draft credit note (``kind`` sales, numbered ``CN-00001``…) or vendor credit
    (``kind`` purchase, ``VC-00001``…).

    ``lines`` are priced like invoice lines: ``[{"description", "quantity", "unit_price",
    "account_id", "tax_rate_id", "item_id"}]`` against income accounts and sales rates (sales)
    or expense accounts and purchase rates (purchase). ``allocations``:
    ``[{"invoice_id" | "expense_id": int, "amount": "12.50"}]``, applied when it is approved.
    Needs ``invoices:draft`` (sales) or ``expenses:draft`` (purchase).
    """
    spec = credit_kind(kind)
    actor.require(spec.draft)
    company = company_for(session, actor, company_id)
    built = _build(
        session,
        company,
        spec,
        {
            "contact_id": contact_id,
            "date": date,
            "currency": currency,
            "tax_mode": tax_mode,
            "reference": reference,
            "memo": memo,
            "lines": lines,
            "allocations": allocations,
        },
    )
    line_values, proposed = built.pop("lines"), built.pop("proposed")

    def build(number: str) -> CreditNote:
        return CreditNote(
            company_id=company.id,
            kind=spec.kind,
            number=number,
            status="draft",
            amount_allocated=0,
            amount_refunded=0,
            version=1,
            created_by_user_id=actor.user_id,
            lines=[CreditNoteLine(**v) for v in line_values],
            allocations=[CreditAllocation(**a, created_by_user_id=actor.user_id) for a in proposed],
            **built,
            **source_fields(actor),
        )

    note = insert_numbered(session, company.id, build, model=CreditNote, prefix=spec.prefix)
    record(
        session,
        Event.CREDIT_NOTE_DRAFTED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(note),
    )
    emit(session, company.id, spec.events["drafted"], note.id)
    return note


def _details(note: CreditNote, **more: Any) -> dict[str, Any]:
    return {
        "kind": note.kind,
        "number": note.number,
        "total": format_minor(note.total, note.currency),
        "currency": note.currency,
        **more,
    }


def _load(
    session: Session, company_id: int, kind: CreditKind, note_id: Any, *, lock: bool = False
) -> CreditNote:
    note = company_row(
        session,
        CreditNote,
        company_id,
        note_id,
        lock=lock,
        options=[selectinload(CreditNote.lines), selectinload(CreditNote.allocations)],
    )
    if note.kind != kind.kind:  # the other kind is another resource: as unknown as a missing one
        raise NotFound(f"Unknown {kind.noun} {note_id}", code=f"unknown_{kind.resource}")
    return note


def update_draft_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> CreditNote:
    """Edit a draft: any of contact_id, date, currency, tax_mode, reference, memo, lines and
    allocations (``lines`` and ``allocations`` replace the old ones whole). Needs the kind's
    draft permission."""
    spec = credit_kind(kind)
    actor.require(spec.draft)
    company = company_for(session, actor, company_id)
    note = _load(session, company.id, spec, note_id, lock=True)
    require_draft(note, spec.noun)
    check_version(note, expected_version)
    unknown = sorted(set(changes) - _EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change {', '.join(unknown)}", errors={k: "not editable" for k in unknown}
        )
    current = {
        "contact_id": note.contact_id,
        "date": note.date,
        "currency": note.currency,
        "tax_mode": note.tax_mode,
        "reference": note.reference,
        "memo": note.memo,
        "lines": [invoice_line_input(line, note.currency) for line in note.lines],
        "allocations": [allocations.proposal_input(a, note.currency) for a in note.allocations],
    }
    built = _build(session, company, spec, {**current, **changes})
    line_values, proposed = built.pop("lines"), built.pop("proposed")
    for key, value in built.items():
        setattr(note, key, value)
    note.lines = [CreditNoteLine(**v) for v in line_values]
    note.allocations = [CreditAllocation(**a, created_by_user_id=actor.user_id) for a in proposed]
    note.version += 1
    flush_versioned(session, spec.noun)
    record(
        session,
        Event.CREDIT_NOTE_UPDATED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(note, changed=sorted(changes), version=note.version),
    )
    emit(session, company.id, spec.events["updated"], note.id)
    return note


def delete_draft_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> None:
    """Delete a draft with its lines and proposed allocations. Needs the kind's draft
    permission."""
    spec = credit_kind(kind)
    actor.require(spec.draft)
    company = company_for(session, actor, company_id)
    note = _load(session, company.id, spec, note_id, lock=True)
    require_draft(note, spec.noun)
    check_version(note, expected_version)
    record(
        session,
        Event.CREDIT_NOTE_DELETED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(note),
    )
    session.delete(note)
    flush_versioned(session, spec.noun)
    emit(session, company.id, spec.events["deleted"], note_id)


def approve_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> CreditNote:
    """Approve a draft and post it on its date (see the module docstring), then apply its
    proposed allocations, each checked again under a lock on its invoice or bill. Needs
    ``ledger:post``; apps and connections can never approve."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    note = _load(session, company.id, spec, note_id, lock=True)
    if note.status != "draft":
        raise InvalidState(
            f"The {spec.noun} {note.number} is {note.status}, not a draft awaiting approval",
            code="not_a_draft",
        )
    check_version(note, expected_version)
    contact = load_contact(session, company.id, note.contact_id, kinds=spec.contacts)
    control = account_by_subtype(session, company.id, spec.control)
    # sign: how the lines move (sales: debits back to income; purchase: credits to expense)
    sign = 1 if spec.kind == "sales" else -1
    cur, net = note.currency, note.tax_mode == "inclusive"
    specs = [LineSpec(control.id, -sign * note.total, cur, contact.id, note.number)]
    for line in note.lines:
        amount = line.amount - line.tax_amount if net else line.amount
        if amount:
            specs.append(
                LineSpec(line.account_id, sign * amount, cur, contact.id, line.description)
            )
    specs += [
        LineSpec(account_id, sign * tax, cur, contact.id, label)
        for account_id, tax, label in tax_postings(session, company.id, note.lines)
    ]
    entry = post_entry(
        session,
        company_id=company.id,
        date=note.date,
        lines=specs,
        source_type="credit_note",
        source_id=note.id,
        memo=f"{spec.title} {note.number} · {contact.name}",
        posted_by_user_id=actor.user_id,
    )
    mark_approved(note, entry, actor)
    flush_versioned(session, spec.noun)
    applied = allocations.apply_proposed(session, actor, spec, note)
    record(
        session,
        Event.CREDIT_NOTE_APPROVED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(
            note,
            journal_entry_id=entry.id,
            draft_source=note.source,
            allocated=format_minor(applied, cur),
        ),
    )
    emit(session, company.id, spec.events["approved"], note.id)
    return note


def reject_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    reason: str,
    company_id: int | None = None,
) -> CreditNote:
    """Reject a draft in review, with a reason; its proposed allocations go with it (proposals
    belong to drafts, and a rejected credit note applies nothing). Needs ``ledger:post``."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    note = _load(session, company.id, spec, note_id, lock=True)
    reason = mark_rejected(note, reason, spec.noun)
    note.allocations = []
    flush_versioned(session, spec.noun)
    record(
        session,
        Event.CREDIT_NOTE_REJECTED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(note, reason=reason[:200]),
    )
    emit(session, company.id, spec.events["rejected"], note.id)
    return note


def void_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    date: dt.date | str | None = None,
    reason: str = "",
    company_id: int | None = None,
) -> CreditNote:
    """Void an approved credit note with a reversing entry (dated ``date``, default its own
    date), which takes its tax back exactly. Refused while any of it is allocated or refunded:
    remove the allocations first (refunds stand). Needs ``ledger:post``."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    note = _load(session, company.id, spec, note_id, lock=True)
    if note.amount_allocated or note.amount_refunded:
        raise InvalidState(
            f"The {spec.noun} {note.number} is allocated or refunded in part; remove its "
            "allocations before voiding it (a refund cannot be undone)",
            code="has_allocations",
        )
    entry = post_void(session, note, actor, date=date, reason=reason)
    flush_versioned(session, spec.noun)
    record(
        session,
        Event.CREDIT_NOTE_VOIDED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details=_details(note, reason=reason[:200], journal_entry_id=entry.id),
    )
    emit(session, company.id, spec.events["voided"], note.id)
    return note


def get_credit_note(
    session: Session, actor: Actor, kind: str, note_id: Any, *, company_id: int | None = None
) -> CreditNote:
    """One credit note (or vendor credit) with its lines and allocations. Needs
    ``invoices:read`` (sales) or ``expenses:read`` (purchase)."""
    spec = credit_kind(kind)
    actor.require(spec.read)
    company = company_for(session, actor, company_id)
    return _load(session, company.id, spec, note_id)


def credit_note_version(
    session: Session, actor: Actor, kind: str, note_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of a credit note of this kind (``None``: none), for ``If-Match``."""
    spec = credit_kind(kind)
    actor.require(spec.draft)
    return session.scalar(
        select(CreditNote.version).where(
            CreditNote.company_id == actor.company_scope(company_id),
            CreditNote.kind == spec.kind,
            CreditNote.id == note_id,
        )
    )


CREDIT_NOTE_ORDERS: dict[str, Order] = {
    "changed": Order(CreditNote.updated_at, CreditNote.id),
    "newest": Order(CreditNote.date, CreditNote.id, descending=True),
    "number": Order(CreditNote.number, CreditNote.id),
}


@dataclass(frozen=True, slots=True)
class CreditNoteFilters:
    kind: str = "sales"
    status: str | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


_LISTING = Listing(
    # A page's contacts in one more query: every row shows its contact's name.
    select(CreditNote).options(selectinload(CreditNote.contact)),
    CreditNote.company_id == bindparam("company_id"),
    CreditNote.updated_at,
    {
        "kind": lambda v: CreditNote.kind == v,
        "status": lambda v: CreditNote.status == v,
        "contact_id": lambda v: CreditNote.contact_id == v,
        "date_from": lambda v: CreditNote.date >= v,
        "date_to": lambda v: CreditNote.date <= v,
    },
    CREDIT_NOTE_ORDERS,
    entities=True,
)


def list_credit_notes(
    session: Session, actor: Actor, filters: CreditNoteFilters, page: PageRequest
) -> Page[CreditNote]:
    """One page of credit notes of ``filters.kind``. Needs the kind's read permission."""
    spec = credit_kind(filters.kind)
    actor.require(spec.read)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, filters, page)


def count_credit_notes(session: Session, actor: Actor, filters: CreditNoteFilters) -> int:
    """How many credit notes of ``filters.kind`` the filters keep (a list's total). Needs the
    kind's read permission."""
    spec = credit_kind(filters.kind)
    actor.require(spec.read)
    return _LISTING.count(session, actor.company_scope(), filters)
