"""Activity event types, as ``source:subject:action`` strings."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Event", "describe"]


class Event(StrEnum):
    # identity
    AUTH_LOGIN_SUCCEEDED = "identity:login:succeeded"
    AUTH_LOGIN_FAILED = "identity:login:failed"
    AUTH_LOGIN_LOCKED = "identity:login:locked"
    AUTH_LOGOUT = "identity:login:logout"
    TOTP_ENROLLED = "identity:totp:enrolled"
    TOTP_FAILED = "identity:totp:failed"
    TOTP_RECOVERY_USED = "identity:totp:recovery_used"
    TOTP_LOCKED = "identity:totp:locked"
    TOTP_RECOVERY_REGENERATED = "identity:totp:recovery_regenerated"
    TOTP_DISABLED = "identity:totp:disabled"
    PASSKEY_ADDED = "identity:passkey:added"
    PASSKEY_RENAMED = "identity:passkey:renamed"
    PASSKEY_REMOVED = "identity:passkey:removed"
    PASSKEY_FAILED = "identity:passkey:failed"
    # An instance admin (CLI) cleared every second factor of a locked-out user.
    SECOND_FACTORS_RESET = "identity:second_factor:reset"
    SESSIONS_REVOKED = "identity:session:revoked_all"
    STEPUP_CONFIRMED = "identity:stepup:confirmed"
    USER_CREATED = "identity:user:created"
    MEMBER_ADDED = "identity:member:added"
    MEMBER_ROLE_CHANGED = "identity:member:role_changed"
    MEMBER_REMOVED = "identity:member:removed"
    MEMBER_INVITED = "identity:invitation:sent"
    INVITATION_ACCEPTED = "identity:invitation:accepted"
    INVITATION_DECLINED = "identity:invitation:declined"
    INVITATION_CANCELLED = "identity:invitation:cancelled"
    USER_DEACTIVATED = "identity:user:deactivated"
    USER_REACTIVATED = "identity:user:reactivated"
    PASSWORD_CHANGED = "identity:password:changed"
    PASSWORD_RESET = "identity:password:reset"
    COMPANY_CREATED = "identity:company:created"
    COMPANY_UPDATED = "identity:company:updated"
    # ledger
    INVOICE_DRAFTED = "ledger:invoice:drafted"
    INVOICE_UPDATED = "ledger:invoice:updated"
    INVOICE_DELETED = "ledger:invoice:deleted"
    INVOICE_APPROVED = "ledger:invoice:approved"
    INVOICE_REJECTED = "ledger:invoice:rejected"
    INVOICE_VOIDED = "ledger:invoice:voided"
    EXPENSE_DRAFTED = "ledger:expense:drafted"
    EXPENSE_UPDATED = "ledger:expense:updated"
    EXPENSE_DELETED = "ledger:expense:deleted"
    EXPENSE_APPROVED = "ledger:expense:approved"
    EXPENSE_REJECTED = "ledger:expense:rejected"
    EXPENSE_VOIDED = "ledger:expense:voided"
    # A file kept with an invoice or expense (its subject is the document).
    ATTACHMENT_ADDED = "ledger:attachment:added"
    ATTACHMENT_DELETED = "ledger:attachment:deleted"
    CREDIT_NOTE_DRAFTED = "ledger:credit_note:drafted"
    CREDIT_NOTE_UPDATED = "ledger:credit_note:updated"
    CREDIT_NOTE_DELETED = "ledger:credit_note:deleted"
    CREDIT_NOTE_APPROVED = "ledger:credit_note:approved"
    CREDIT_NOTE_REJECTED = "ledger:credit_note:rejected"
    CREDIT_NOTE_VOIDED = "ledger:credit_note:voided"
    CREDIT_NOTE_ALLOCATED = "ledger:credit_note:allocated"
    CREDIT_NOTE_UNALLOCATED = "ledger:credit_note:allocation_removed"
    CREDIT_NOTE_REFUNDED = "ledger:credit_note:refunded"
    PAYMENT_RECORDED = "ledger:payment:recorded"
    PAYMENT_DRAFT_CREATED = "ledger:payment_draft:created"
    PAYMENT_DRAFT_DELETED = "ledger:payment_draft:deleted"
    PAYMENT_DRAFT_APPROVED = "ledger:payment_draft:approved"
    PAYMENT_DRAFT_REJECTED = "ledger:payment_draft:rejected"
    CATEGORIZATION_DRAFT_CREATED = "ledger:categorization_draft:created"
    CATEGORIZATION_DRAFT_DELETED = "ledger:categorization_draft:deleted"
    CATEGORIZATION_DRAFT_APPROVED = "ledger:categorization_draft:approved"
    CATEGORIZATION_DRAFT_REJECTED = "ledger:categorization_draft:rejected"
    JOURNAL_POSTED = "ledger:journal:posted"
    CONTACT_CREATED = "ledger:contact:created"
    CONTACT_UPDATED = "ledger:contact:updated"
    BANK_TRANSACTION_IMPORTED = "ledger:bank_transaction:imported"
    BANK_TRANSACTION_CATEGORIZED = "ledger:bank_transaction:categorized"
    BANK_TRANSACTION_MATCHED = "ledger:bank_transaction:matched"
    DEMO_LOADED = "ledger:demo:loaded"
    ACCOUNT_CREATED = "ledger:account:created"
    ACCOUNT_ARCHIVED = "ledger:account:archived"
    TAX_RATE_CREATED = "ledger:tax_rate:created"
    TAX_RATE_UPDATED = "ledger:tax_rate:updated"
    TAX_RATE_ARCHIVED = "ledger:tax_rate:archived"
    ITEM_CREATED = "ledger:item:created"
    ITEM_UPDATED = "ledger:item:updated"
    ITEM_ARCHIVED = "ledger:item:archived"
    # appconnect
    APP_CREATED = "appconnect:app:created"
    APP_ROTATED = "appconnect:app:rotated"
    APP_REVOKED = "appconnect:app:revoked"
    APP_DELETED = "appconnect:app:deleted"
    APP_RESTORED = "appconnect:app:restored"
    APP_EXPIRED = "appconnect:app:expired"
    TOKEN_ISSUED = "appconnect:token:issued"
    TOKEN_FAILED = "appconnect:token:failed"
    TOKEN_REVOKED = "appconnect:token:revoked"
    # A request with a bearer token refused: a dead or foreign token, or a missing permission.
    REQUEST_REFUSED = "appconnect:request:refused"
    # OAuth for MCP clients
    OAUTH_CLIENT_REGISTERED = "appconnect:oauth_client:registered"
    OAUTH_CLIENT_DELETED = "appconnect:oauth_client:deleted"
    CONSENT_GRANTED = "appconnect:consent:granted"
    CONSENT_DENIED = "appconnect:consent:denied"
    CONNECTION_CREATED = "appconnect:connection:created"
    CONNECTION_DELETED = "appconnect:connection:deleted"
    # Its user was removed from the company or deactivated.
    CONNECTION_REVOKED = "appconnect:connection:revoked"
    # A used refresh token or authorization code presented again: the connection is revoked.
    REFRESH_TOKEN_REUSED = "appconnect:connection:refresh_reuse"
    CODE_REPLAYED = "appconnect:connection:code_replay"
    # Webhooks (newledger/events)
    WEBHOOK_ENDPOINT_CREATED = "appconnect:webhook_endpoint:created"
    WEBHOOK_ENDPOINT_DELETED = "appconnect:webhook_endpoint:deleted"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "appconnect:webhook_endpoint:secret_rotated"
    WEBHOOK_DELIVERY_RESENT = "appconnect:webhook_delivery:resent"


_WORDS = {
    "app": "API credential app",
    "bank_transaction": "bank transaction",
    "oauth_client": "OAuth client",
    "connection": "OAuth connection",
    "webhook_endpoint": "webhook endpoint",
    "webhook_delivery": "webhook delivery",
}
# Where "subject action" reads badly, the words people use.
_LABELS = {
    "identity:login:succeeded": "Signed in",
    "identity:login:failed": "Sign-in refused",
    "identity:login:locked": "Sign-in locked after too many attempts",
    "identity:login:logout": "Signed out",
    "identity:totp:enrolled": "Two-factor authentication set up",
    "identity:totp:failed": "Two-factor code refused",
    "identity:totp:locked": "Two-factor locked after too many attempts",
    "identity:totp:recovery_used": "Recovery code used",
    "identity:totp:recovery_regenerated": "Recovery codes replaced",
    "identity:session:revoked_all": "Other sessions signed out",
    "identity:totp:disabled": "Authenticator app codes turned off",
    "identity:passkey:failed": "Passkey refused",
    "identity:second_factor:reset": "Second factors reset by an administrator",
    "identity:stepup:confirmed": "Action confirmed with a second factor",
    "ledger:journal:posted": "Journal entry posted",
    "ledger:demo:loaded": "Demo books loaded",
    "appconnect:token:failed": "Token request refused",
    "appconnect:request:refused": "API request refused",
    "appconnect:consent:granted": "OAuth consent granted",
    "appconnect:consent:denied": "OAuth consent denied",
    "appconnect:connection:refresh_reuse": "Refresh token reused, so the connection was revoked",
    "appconnect:connection:code_replay": "Code replayed, so the connection was revoked",
}


def describe(event: str) -> str:
    """A reader's name for an event type: ``appconnect:app:rotated`` → "API credential app
    rotated". Derived from the ``source:subject:action`` form, so new events need no entry."""
    if event in _LABELS:
        return _LABELS[event]
    parts = event.split(":")
    if len(parts) != 3:
        return event
    subject = _WORDS.get(parts[1], parts[1].replace("_", " "))
    action = parts[2].replace("_", " ")
    text = f"{subject} {action}"
    return text[0].upper() + text[1:]
