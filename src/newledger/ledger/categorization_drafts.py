"""Categorization drafts: the account a bank transaction probably belongs to, proposed by an app,
a connection or a person (``bank:draft``) with the hint behind it, waiting in the review queue.

The hint is either the proposer's own (``account_id`` with its ``confidence`` and ``evidence``:
``hint_origin`` ``app``) or, when no account is given, NewLedger's from the company's approved
history (``categorize.suggest``, which needs ``bank:read`` or ``expenses:read`` because its
evidence quotes that history: ``hint_origin`` ``history``); an abstaining hint is a 422.

One open proposal per transaction: a second is refused (409 ``draft_exists``) while the first
waits, so what a reviewer is looking at is never replaced under them; the proposer deletes its
draft to propose again. Only a person holding ``ledger:post`` approves, which categorizes the
transaction through ``bank.categorize_transaction`` (posting its journal entry); a transaction
categorized or matched meanwhile is a clear refusal and nothing is written. Rejection keeps the
reason and leaves the transaction uncategorized.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import Conflict, InvalidState, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    load_account,
    load_bank_account,
    readable_row,
    require_poster,
    source_fields,
)
from newledger.ledger._lifecycle import mark_proposal_approved, mark_rejected
from newledger.ledger.bank import categorize_transaction
from newledger.ledger.categorize import suggest
from newledger.ledger.models import BankTransaction, CategorizationDraft
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "CATEGORIZATION_DRAFT_ORDERS",
    "CategorizationDraftFilters",
    "approve_categorization_draft",
    "categorization_draft_dict",
    "categorization_draft_version",
    "create_categorization_draft",
    "delete_categorization_draft",
    "get_categorization_draft",
    "list_categorization_drafts",
    "reject_categorization_draft",
]

WHAT = "categorization draft"


def _confidence(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationFailed("confidence must be a number", errors={"confidence": "a number"})
    if not 0 <= value <= 1:
        raise ValidationFailed(
            "confidence is between 0 and 1", errors={"confidence": "between 0 and 1"}
        )
    return Decimal(str(round(float(value), 3)))


def _hint(
    session: Session,
    actor: Actor,
    txn: BankTransaction,
    account_id: int | None,
    confidence: Any,
    evidence: str,
) -> tuple[Any, Decimal | None, str, str]:
    """``(account_id, confidence, evidence, hint_origin)``: the proposer's, or NewLedger's."""
    if account_id is not None:
        return account_id, _confidence(confidence), (evidence or "").strip()[:1000], "app"
    if confidence is not None or (evidence or "").strip():
        raise ValidationFailed(
            "confidence and evidence go with your own account_id; without one, NewLedger's "
            "hint supplies them",
            errors={"account_id": "required with confidence or evidence"},
        )
    hint = suggest(session, actor, txn.company_id, txn.description, None, abs(txn.amount))
    if hint.abstained or hint.account_id is None:
        raise ValidationFailed(
            f"NewLedger has no confident hint for this transaction ({hint.evidence}); "
            "propose an account_id",
            errors={"account_id": "required: no confident hint"},
            code="no_confident_hint",
        )
    return hint.account_id, _confidence(hint.confidence), hint.evidence[:1000], "history"


def create_categorization_draft(
    session: Session,
    actor: Actor,
    *,
    bank_transaction_id: int,
    account_id: int | None = None,
    confidence: float | None = None,
    evidence: str = "",
    company_id: int | None = None,
) -> CategorizationDraft:
    """Propose ``account_id`` for the uncategorized bank transaction ``bank_transaction_id``
    (see the module's docstring for the hint and the one-open-proposal rule). Needs
    ``bank:draft``."""
    actor.require(Permission.BANK_DRAFT)
    company = company_for(session, actor, company_id)
    # Locked: two proposals for one transaction are decided one after the other.
    txn = company_row(session, BankTransaction, company.id, bank_transaction_id, lock=True)
    if txn.status != "uncategorized":
        raise InvalidState(
            f"Bank transaction {txn.id} is already {txn.status}", code="already_reconciled"
        )
    waiting = session.scalar(
        select(CategorizationDraft.id).where(
            CategorizationDraft.company_id == company.id,
            CategorizationDraft.bank_transaction_id == txn.id,
            CategorizationDraft.status == "draft",
        )
    )
    if waiting is not None:
        raise Conflict(
            f"Bank transaction {txn.id} already has a proposal awaiting review (categorization "
            f"draft {waiting}); delete it first to propose another",
            code="draft_exists",
        )
    chosen, sure, why, origin = _hint(session, actor, txn, account_id, confidence, evidence)
    bank = load_bank_account(session, company.id, txn.bank_account_id)
    account = load_account(session, company.id, chosen)
    if account.id == bank.account_id:
        raise ValidationFailed(
            "A transaction cannot be categorized to its own bank account",
            errors={"account_id": "the bank account itself"},
        )
    draft = CategorizationDraft(
        company_id=company.id,
        bank_transaction_id=txn.id,
        account_id=account.id,
        confidence=sure,
        evidence=why,
        hint_origin=origin,
        status="draft",
        version=1,
        rejected_reason="",
        created_by_user_id=actor.user_id,
        **source_fields(actor),
    )
    session.add(draft)
    session.flush()
    record(
        session,
        Event.CATEGORIZATION_DRAFT_CREATED,
        actor,
        subject_type="categorization_draft",
        subject_id=draft.id,
        details={
            "bank_transaction_id": txn.id,
            "account": f"{account.code} {account.name}",
            "confidence": str(sure) if sure is not None else None,
            "hint_origin": origin,
            "source": draft.source,
        },
    )
    emit(session, company.id, EventType.CATEGORIZATION_DRAFT_CREATED, draft.id)
    return draft


def _load(session: Session, company_id: int, draft_id: int) -> CategorizationDraft:
    return company_row(session, CategorizationDraft, company_id, draft_id, lock=True)


def _require_open(draft: CategorizationDraft) -> None:
    if draft.status != "draft":
        raise InvalidState(
            f"Categorization draft {draft.id} is {draft.status}, not awaiting review",
            code="not_a_draft",
        )


def delete_categorization_draft(
    session: Session,
    actor: Actor,
    draft_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> None:
    """Withdraw a proposal still awaiting review. Needs ``bank:draft``."""
    actor.require(Permission.BANK_DRAFT)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    _require_open(draft)
    check_version(draft, expected_version)
    record(
        session,
        Event.CATEGORIZATION_DRAFT_DELETED,
        actor,
        subject_type="categorization_draft",
        subject_id=draft.id,
        details={"bank_transaction_id": draft.bank_transaction_id},
    )
    session.delete(draft)
    flush_versioned(session, WHAT)
    emit(session, company.id, EventType.CATEGORIZATION_DRAFT_DELETED, draft_id)


def approve_categorization_draft(
    session: Session,
    actor: Actor,
    draft_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> CategorizationDraft:
    """Categorize the transaction to the proposed account (``categorize_transaction`` posts
    its entry) and mark the draft approved, in one unit of work. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    _require_open(draft)
    check_version(draft, expected_version)
    txn = categorize_transaction(
        session, actor, draft.bank_transaction_id, draft.account_id, company_id=company.id
    )
    mark_proposal_approved(draft, actor)
    flush_versioned(session, WHAT)
    record(
        session,
        Event.CATEGORIZATION_DRAFT_APPROVED,
        actor,
        subject_type="categorization_draft",
        subject_id=draft.id,
        details={
            "bank_transaction_id": txn.id,
            "journal_entry_id": txn.journal_entry_id,
            "source": draft.source,
        },
    )
    emit(session, company.id, EventType.CATEGORIZATION_DRAFT_APPROVED, draft.id)
    return draft


def reject_categorization_draft(
    session: Session, actor: Actor, draft_id: int, *, reason: str, company_id: int | None = None
) -> CategorizationDraft:
    """Reject a proposal with a reason; the transaction stays uncategorized (and open to a new
    proposal). Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    reason = mark_rejected(draft, reason, WHAT)
    flush_versioned(session, WHAT)
    record(
        session,
        Event.CATEGORIZATION_DRAFT_REJECTED,
        actor,
        subject_type="categorization_draft",
        subject_id=draft.id,
        details={"bank_transaction_id": draft.bank_transaction_id, "reason": reason[:200]},
    )
    emit(session, company.id, EventType.CATEGORIZATION_DRAFT_REJECTED, draft.id)
    return draft


def get_categorization_draft(
    session: Session, actor: Actor, draft_id: int, *, company_id: int | None = None
) -> CategorizationDraft:
    """One categorization draft. Needs ``bank:read``."""
    return readable_row(
        session, actor, Permission.BANK_READ, CategorizationDraft, draft_id, company_id=company_id
    )


def categorization_draft_version(
    session: Session, actor: Actor, draft_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of one of the company's categorization drafts (``None``: no such
    draft), which a delete compares with ``If-Match``. Needs ``bank:draft``."""
    actor.require(Permission.BANK_DRAFT)
    return session.scalar(
        select(CategorizationDraft.version).where(
            CategorizationDraft.company_id == actor.company_scope(company_id),
            CategorizationDraft.id == draft_id,
        )
    )


CATEGORIZATION_DRAFT_ORDERS: dict[str, Order] = {
    "changed": Order(CategorizationDraft.updated_at, CategorizationDraft.id),
    "newest": Order(CategorizationDraft.created_at, CategorizationDraft.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class CategorizationDraftFilters:
    status: str | None = None  # draft | approved | rejected
    bank_transaction_id: int | None = None


_cd = CategorizationDraft
_LISTING = Listing(
    select(_cd),
    _cd.company_id == bindparam("company_id"),
    _cd.updated_at,
    {
        "status": lambda v: _cd.status == v,
        "bank_transaction_id": lambda v: _cd.bank_transaction_id == v,
    },
    CATEGORIZATION_DRAFT_ORDERS,
    entities=True,
)


def list_categorization_drafts(
    session: Session, actor: Actor, filters: CategorizationDraftFilters, page: PageRequest
) -> Page[CategorizationDraft]:
    """One page of the company's categorization drafts, open and decided. Needs
    ``bank:read``."""
    actor.require(Permission.BANK_READ)
    return _LISTING.page(session, actor.company_scope(), filters, page)


def categorization_draft_dict(draft: CategorizationDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "bank_transaction_id": draft.bank_transaction_id,
        "account_id": draft.account_id,
        "confidence": float(draft.confidence) if draft.confidence is not None else None,
        "evidence": draft.evidence,
        "hint_origin": draft.hint_origin,
        "status": draft.status,
        "version": draft.version,
        "source": draft.source,
        "source_label": draft.source_label,
        "rejected_reason": draft.rejected_reason,
        "created_at": draft.created_at.isoformat(),
        "updated_at": draft.updated_at.isoformat(),
    }
