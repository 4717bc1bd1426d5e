"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""

from newledger.appconnect.models import App, RevokedToken
from newledger.attachments.models import Attachment
from newledger.audit.models import Activity
from newledger.db import Base
from newledger.events.models import (
    ChangeCounter,
    ChangeEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from newledger.idempotency.models import IdempotencyKey
from newledger.identity.models import (
    Company,
    Membership,
    Passkey,
    PasskeyChallenge,
    RecoveryCode,
    User,
    WebSession,
)
from newledger.ledger.models import (
    Account,
    AccountBalance,
    AccountDailyBalance,
    BankAccount,
    BankTransaction,
    Contact,
    Expense,
    ExpenseLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from newledger.ratelimit.models import RateLimitCounter

__all__ = [
    "Account",
    "AccountBalance",
    "AccountDailyBalance",
    "Activity",
    "App",
    "Attachment",
    "BankAccount",
    "BankTransaction",
    "Base",
    "ChangeCounter",
    "ChangeEvent",
    "Company",
    "Contact",
    "Expense",
    "ExpenseLine",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "JournalEntry",
    "JournalLine",
    "Membership",
    "Passkey",
    "PasskeyChallenge",
    "Payment",
    "RateLimitCounter",
    "RecoveryCode",
    "RevokedToken",
    "User",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
