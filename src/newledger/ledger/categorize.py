"""Categorization hints: which account a new expense probably belongs to (DESIGN §7).

Learned from the company's own approved history only: the lines of approved expenses and bills,
and bank transactions a person categorized to an expense account. Vendor history speaks first
("12 of 12 past 'Staples' expenses → Office Supplies"); when the vendor is new or mixed, the
wording decides, by TF-IDF cosine similarity to past descriptions, with the amount as a weak
tie-breaker. Below ``THRESHOLD`` the hint abstains: a wrong guess costs a reviewer more than no
guess. A hint is advice; only a person's approval posts anything.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import PermissionDenied
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger.models import Account, BankTransaction, Contact, Expense, ExpenseLine
from newledger.money import parse_amount, validate_currency

__all__ = [
    "THRESHOLD",
    "CategoryModel",
    "Evaluation",
    "Example",
    "Suggestion",
    "evaluate",
    "hint_amount",
    "load_examples",
    "suggest",
    "suggest_for_bank",
]

THRESHOLD = 0.6
# suggest() learns from this many of the most recent examples, so a hint stays fast on big books.
RECENT_EXAMPLES = 5000
_APPROVED = ("approved", "partially_paid", "paid")
_STOP_WORDS = "a an and at for from in of on the to with by via inc llc co ltd corp pos debit card"
_STOP = frozenset([*_STOP_WORDS.split(), "purchase", "ach"])
_TOKEN = re.compile(r"[a-z][a-z0-9&'.+-]*")
_NEIGHBOURS = 7


@dataclass(frozen=True)
class Example:
    """One categorized item of history: what it said, who it was from, where it went."""

    day: dt.date
    account_id: int
    text: str
    amount: int
    contact_id: int | None = None
    vendor: str = ""
    order: int = 0


@dataclass(frozen=True)
class Suggestion:
    account_id: int | None
    account_code: str
    account_name: str
    confidence: float
    evidence: str
    abstained: bool = False

    @classmethod
    def abstain(cls, reason: str, confidence: float = 0.0) -> Suggestion:
        return cls(None, "", "", round(confidence, 3), reason, abstained=True)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def tokens(text: str) -> list[str]:
    return [t.strip(".'-") for t in _TOKEN.findall(text.lower()) if t not in _STOP and len(t) > 1]


class CategoryModel:
    """Vendor counts plus a TF-IDF index over past descriptions (and vendor names)."""

    def __init__(self, examples: Sequence[Example], accounts: dict[int, tuple[str, str]]) -> None:
        self.examples = list(examples)
        self.accounts = accounts
        self.by_vendor: dict[int, Counter[int]] = defaultdict(Counter)
        self.vendor_docs: dict[int, list[int]] = defaultdict(list)
        doc_tokens: list[Counter[str]] = []
        df: Counter[str] = Counter()
        for i, ex in enumerate(self.examples):
            if ex.contact_id is not None:
                self.by_vendor[ex.contact_id][ex.account_id] += 1
                self.vendor_docs[ex.contact_id].append(i)
            counts = Counter(tokens(f"{ex.text} {ex.vendor}"))
            doc_tokens.append(counts)
            df.update(counts.keys())
        n = max(1, len(self.examples))
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
        # A word never seen is the rarest of all: it must weigh in the query's norm, or a query
        # sharing one word with the history would look like a perfect match.
        self.unseen_idf = math.log(1 + n) + 1
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, counts in enumerate(doc_tokens):
            vec = self._weights(counts)
            for token, weight in vec.items():
                self.postings[token].append((i, weight))

    def _weights(self, counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, self.unseen_idf) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items() if w > 0}

    def _neighbours(
        self, text: str, amount: int, within: set[int] | None = None
    ) -> list[tuple[float, int]]:
        """The most similar past examples as (similarity, index), best first."""
        query = self._weights(Counter(tokens(text)))
        scores: dict[int, float] = defaultdict(float)
        for token, qw in query.items():
            for i, dw in self.postings.get(token, ()):
                if within is None or i in within:
                    scores[i] += qw * dw
        ranked = []
        for i, sim in scores.items():
            past = self.examples[i].amount
            if amount > 0 and past > 0 and abs(math.log(amount / past)) < math.log(2):
                sim *= 1.1  # same amount band: a weak hint, never decisive alone
            ranked.append((sim, i))
        ranked.sort(key=lambda r: (-r[0], -self.examples[r[1]].order))
        return ranked[:_NEIGHBOURS]

    def _vote(self, near: list[tuple[float, int]]) -> tuple[int, float]:
        """The account the neighbours favour, weighted by similarity, and its share of the vote."""
        votes: dict[int, float] = defaultdict(float)
        for sim, i in near:
            votes[self.examples[i].account_id] += sim
        best = max(votes, key=lambda a: votes[a])
        return best, votes[best] / (sum(votes.values()) or 1.0)

    def _name(self, account_id: int) -> str:
        return self.accounts.get(account_id, ("", f"account {account_id}"))[1]

    def _suggest(self, account_id: int, confidence: float, evidence: str) -> Suggestion:
        code, name = self.accounts.get(account_id, ("", f"account {account_id}"))
        confidence = round(min(confidence, 0.99), 3)
        if confidence < THRESHOLD:
            return Suggestion.abstain(f"Not sure ({evidence})", confidence)
        return Suggestion(account_id, code, name, confidence, evidence)

    def predict(
        self,
        description: str,
        *,
        contact_id: int | None = None,
        vendor: str = "",
        amount: int = 0,
        default_account_id: int | None = None,
    ) -> Suggestion:
        history = self.by_vendor.get(contact_id) if contact_id is not None else None
        label = vendor or "this vendor"
        if history:
            total = sum(history.values())
            top, count = history.most_common(1)[0]
            share = count / total
            if share >= 0.8:
                # Laplace-style: one past expense is a hunch (0.5), twelve of twelve is evidence.
                return self._suggest(
                    top,
                    count / (total + 1),
                    f"{count} of {total} past '{label}' expenses → {self._name(top)}",
                )
            within = set(self.vendor_docs[contact_id])  # type: ignore[index]
            near = self._neighbours(f"{description} {vendor}", amount, within)
            if near and near[0][0] > 0.3:
                best, text_share = self._vote(near)
                vendor_share = history[best] / total
                example = self.examples[near[0][1]].text
                return self._suggest(
                    best,
                    0.6 * text_share + 0.4 * vendor_share,
                    f"'{label}' is mixed ({history[best]} of {total} → {self._name(best)}); "
                    f"closest past wording: '{example}'",
                )
            return Suggestion.abstain(
                f"Past '{label}' expenses are mixed: {count} of {total} → {self._name(top)}",
                share,
            )
        if default_account_id is not None:
            return self._suggest(
                default_account_id, 0.7, f"Default account of '{label}' (no history yet)"
            )
        near = self._neighbours(f"{description} {vendor}", amount)
        if not near:
            return Suggestion.abstain("No similar approved expenses yet")
        best, text_share = self._vote(near)
        top_sim = near[0][0]
        supporting = [i for _, i in near if self.examples[i].account_id == best]
        closest = self.examples[supporting[0]]
        # One similar example is a hunch; three agreeing ones are evidence.
        confidence = text_share * min(1.0, top_sim / 0.55) * min(1.0, (len(supporting) + 1) / 4)
        return self._suggest(
            best,
            confidence,
            f"{len(supporting)} of {len(near)} most similar past expenses → {self._name(best)} "
            f"(closest: '{closest.text}'{f' from {closest.vendor}' if closest.vendor else ''})",
        )


def _require_read(actor: Actor, company_id: int) -> None:
    if actor.company_id is not None and actor.company_id != company_id:
        raise PermissionDenied("Not a member of this company", required=(Permission.EXPENSES_READ,))
    if not (actor.can(Permission.EXPENSES_READ) or actor.can(Permission.BANK_READ)):
        raise PermissionDenied(
            "Missing permission: expenses:read or bank:read",
            required=(Permission.EXPENSES_READ,),
        )


def _accounts(session: Session, company_id: int) -> dict[int, tuple[str, str]]:
    rows = session.execute(
        select(Account.id, Account.code, Account.name).where(Account.company_id == company_id)
    )
    return {a: (code, name) for a, code, name in rows}


def load_examples(session: Session, company_id: int, limit: int | None = None) -> list[Example]:
    """Approved expense lines and expense-categorized bank lines, oldest first."""
    lines = (
        select(
            Expense.date,
            ExpenseLine.account_id,
            ExpenseLine.description,
            ExpenseLine.amount,
            Expense.contact_id,
            func.coalesce(Contact.name, ""),
            ExpenseLine.id,
        )
        .join(Expense, Expense.id == ExpenseLine.expense_id)
        .outerjoin(Contact, Contact.id == Expense.contact_id)
        .where(
            ExpenseLine.company_id == company_id,
            Expense.company_id == company_id,
            Expense.status.in_(_APPROVED),
        )
        # Newest first by id, so LIMIT walks the primary key instead of sorting the history.
        .order_by(ExpenseLine.id.desc())
    )
    bank = (
        select(
            BankTransaction.date,
            BankTransaction.category_account_id,
            BankTransaction.description,
            -BankTransaction.amount,
            BankTransaction.id,
        )
        .where(
            BankTransaction.company_id == company_id,
            BankTransaction.status == "categorized",
            BankTransaction.amount < 0,
            BankTransaction.category_account_id.in_(
                select(Account.id).where(
                    Account.company_id == company_id, Account.type == "expense"
                )
            ),
        )
        .order_by(BankTransaction.id.desc())
    )
    if limit is not None:
        lines, bank = lines.limit(limit), bank.limit(limit)
    out = [
        Example(day, acc, text, amount, contact, vendor)
        for day, acc, text, amount, contact, vendor, _ in session.execute(lines)
    ]
    out += [
        Example(day, acc, text, amount)
        for day, acc, text, amount, _ in session.execute(bank)
        if acc is not None
    ]
    out.sort(key=lambda ex: ex.day)  # stable: same-day items keep newest-id-first order
    if limit is not None:
        out = out[-limit:]
    return [
        Example(ex.day, ex.account_id, ex.text, ex.amount, ex.contact_id, ex.vendor, order=i)
        for i, ex in enumerate(out)
    ]


def hint_amount(session: Session, company_id: int, amount: str | None, currency: str | None) -> int:
    """The amount a caller gives ``suggest`` as text, in minor units of ``currency`` (default:
    the company's home currency); 0 when there is none."""
    if amount is None:
        return 0
    company = session.get(Company, company_id)
    return parse_amount(
        amount, validate_currency(currency or (company.home_currency if company else ""))
    )


def suggest(
    session: Session,
    actor: Actor,
    company_id: int,
    description: str,
    vendor: int | str | None = None,
    amount: int = 0,
) -> Suggestion:
    """Suggest an account for a new expense. ``vendor`` is a contact id or a vendor name."""
    _require_read(actor, company_id)
    contact: Contact | None = None
    if isinstance(vendor, int):
        contact = session.scalar(
            select(Contact).where(Contact.company_id == company_id, Contact.id == vendor)
        )
    elif vendor:
        contact = session.scalar(
            select(Contact)
            .where(
                Contact.company_id == company_id,
                func.lower(Contact.name) == vendor.strip().lower(),
            )
            .order_by(Contact.id)
            .limit(1)
        )
    name = contact.name if contact else (vendor if isinstance(vendor, str) else "") or ""
    return _model(session, company_id).predict(
        description,
        contact_id=contact.id if contact else None,
        vendor=name,
        amount=abs(amount),
        default_account_id=contact.default_account_id if contact else None,
    )


def _model(session: Session, company_id: int) -> CategoryModel:
    return CategoryModel(
        load_examples(session, company_id, RECENT_EXAMPLES), _accounts(session, company_id)
    )


def suggest_for_bank(
    session: Session, actor: Actor, company_id: int, transactions: Sequence[BankTransaction]
) -> dict[int, Suggestion]:
    """``suggest`` for each bank transaction (by id), learning the history once for them all.

    The history is of expenses, so only money out gets a hint; money in (a customer paying,
    a refund) abstains rather than point at an expense account."""
    _require_read(actor, company_id)
    if not transactions:
        return {}
    model = _model(session, company_id)
    return {
        txn.id: (
            model.predict(txn.description, amount=-txn.amount)
            if txn.amount < 0
            else Suggestion.abstain("Hints cover money out; choose the account for money in")
        )
        for txn in transactions
    }


@dataclass(frozen=True)
class Evaluation:
    train: int
    test: int
    suggested: int
    correct: int

    @property
    def accuracy(self) -> float:
        """Correct among the hints given (abstentions excluded)."""
        return self.correct / self.suggested if self.suggested else 0.0

    @property
    def coverage(self) -> float:
        """Share of held-out items that got a hint at all."""
        return self.suggested / self.test if self.test else 0.0


def evaluate(
    session: Session,
    actor: Actor,
    company_id: int,
    *,
    holdout: float = 0.2,
    seed: int = 42,
    max_test: int | None = None,
) -> Evaluation:
    """Train on the older history, test on the newest ``holdout`` share (a time split).

    Like ``suggest``, the model learns from at most ``RECENT_EXAMPLES`` items: the ones just
    before the split, so the figures describe the hints users actually get.
    """
    _require_read(actor, company_id)
    examples = load_examples(session, company_id)
    cut = int(len(examples) * (1 - holdout))
    train, test = examples[max(0, cut - RECENT_EXAMPLES) : cut], examples[cut:]
    if max_test is not None and len(test) > max_test:
        test = random.Random(seed).sample(test, max_test)
    defaults = dict(
        session.execute(
            select(Contact.id, Contact.default_account_id).where(
                Contact.company_id == company_id, Contact.default_account_id.is_not(None)
            )
        ).all()
    )
    model = CategoryModel(train, _accounts(session, company_id))
    suggested = correct = 0
    for ex in test:
        hint = model.predict(
            ex.text,
            contact_id=ex.contact_id,
            vendor=ex.vendor,
            amount=ex.amount,
            default_account_id=defaults.get(ex.contact_id) if ex.contact_id else None,
        )
        if not hint.abstained:
            suggested += 1
            correct += hint.account_id == ex.account_id
    return Evaluation(len(train), len(test), suggested, correct)
