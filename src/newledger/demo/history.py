"""Two years of a design studio's life, month by month, scaled to a target volume.

``scale`` multiplies the volume of everything that grows with a business (invoices, customers,
ad-hoc purchases, card spending) and the amounts of fixed costs (rent, payroll); the monthly
recurring items stay monthly. All randomness comes from one ``random.Random``, so one seed and one
as-of date always give the same books.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import math
import random
from decimal import Decimal

from newledger.demo import catalog
from newledger.demo.books import Books
from newledger.demo.documents import DAY, Documents, LedgerIds
from newledger.demo.vendors import VENDORS, VendorProfile

__all__ = ["History"]

# Categories a hurried bookkeeper sometimes picks instead of the right one.
_SLIPS = ("6500", "7900", "7300", "6800", "6400")


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], start
    while day <= end:
        out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


class History:
    def __init__(
        self,
        books: Books,
        ids: LedgerIds,
        *,
        seed: int,
        scale: float,
        as_of: dt.date,
        user_id: int,
    ) -> None:
        self.b = books
        self.ids = ids
        self.rng = random.Random(seed)
        self.scale = scale
        self.as_of = as_of
        self.start = dt.date(as_of.year - 2, as_of.month, 1)
        self.start = dt.date(self.start.year + self.start.month // 12, self.start.month % 12 + 1, 1)
        self.docs = Documents(books, ids, self.rng, as_of, user_id)
        self.customers: list[tuple[int, str, str, int]] = []  # id, name, behaviour, terms
        self.customer_weights: list[float] = []
        self.customer_cum_weights: list[float] = []
        self.vendors: dict[str, int] = {}
        self.equipment = 0

    # helpers

    def poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 40:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def cents(self, low: float, high: float, factor: float = 1.0) -> int:
        return max(1, round(self.rng.uniform(low, high) * factor * 100))

    def pick(self, mix: dict[str, float]) -> str:
        codes = list(mix)
        return self.rng.choices(codes, weights=[mix[c] for c in codes])[0]

    def fill(self, template: str, month: dt.date) -> str:
        return template.format(
            n=self.rng.randint(2, 8),
            month=month.strftime("%B %Y"),
            city=self.rng.choice(catalog.CITIES),
            ref=self.rng.randint(1000, 9999),
        )

    def generated_name(self, taken: set[str]) -> str:
        for _ in range(50):
            name = (
                f"{self.rng.choice(catalog.NAME_ADJECTIVES)} {self.rng.choice(catalog.NAME_NOUNS)}"
            )
            if self.rng.random() < 0.5:
                name += f" {self.rng.choice(catalog.NAME_SUFFIXES)}"
            if name not in taken:
                return name
        return f"{name} {len(taken)}"

    def contact(self, kind: str, name: str, terms: int = 30, default: str | None = None) -> int:
        contact_id = self.b.new_id("contacts")
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "contact"
        stamp = self.b.stamp(self.start - DAY)
        self.b.add(
            "contacts",
            {
                "id": contact_id,
                "company_id": self.b.company_id,
                "kind": kind,
                "name": name,
                "email": f"{'billing' if kind == 'customer' else 'accounts'}@{slug}.example",
                "phone": f"(555) {self.rng.randint(200, 989):03d}-{self.rng.randint(0, 9999):04d}",
                "tax_id": "",
                "payment_terms_days": terms,
                "default_account_id": self.ids.accounts[default] if default else None,
                "is_archived": False,
                "created_at": stamp,
                "updated_at": stamp,
            },
        )
        return contact_id

    def vendor(self, name: str, terms: int = 30, default: str | None = None) -> tuple[int, str]:
        if name not in self.vendors:
            self.vendors[name] = self.contact("vendor", name, terms, default)
        return self.vendors[name], name

    # the story

    def run(self) -> None:
        self.make_customers()
        self.opening()
        for month in _months(self.start, self.as_of):
            self.month(month)
        self.b.maybe_flush()

    def make_customers(self) -> None:
        count = max(5, round(len(catalog.CUSTOMER_NAMES) * self.scale**0.6))
        names = list(catalog.CUSTOMER_NAMES[:count])
        taken = set(names)
        while len(names) < count:
            name = self.generated_name(taken)
            taken.add(name)
            names.append(name)
        for rank, name in enumerate(names):
            behaviour = self.rng.choices(
                ("prompt", "late", "partial", "troubled"), weights=(60, 25, 10, 5)
            )[0]
            # Every studio has one big client who pays in instalments and one who is always late.
            behaviour = {1: "partial", 3: "late", 6: "troubled"}.get(rank, behaviour)
            terms = self.rng.choices((30, 15, 45), weights=(70, 15, 15))[0]
            self.customers.append((self.contact("customer", name, terms), name, behaviour, terms))
            self.customer_weights.append(1 / (rank + 1) ** 0.7)
        self.customer_cum_weights = list(itertools.accumulate(self.customer_weights))

    def opening(self) -> None:
        day = self.start - DAY
        cash = round(45_000_00 * self.scale)
        self.equipment = round(18_000_00 * self.scale)
        a = self.ids.accounts
        self.b.entry(
            day,
            "opening",
            None,
            [
                (self.ids.checking[1], cash, None, "Opening balance"),
                (a["1500"], self.equipment, None, "Opening balance"),
                (a["3000"], -(cash + self.equipment), None, "Opening balance equity"),
            ],
            "Opening balances",
        )

    def day_in(self, month: dt.date) -> dt.date:
        last = calendar.monthrange(month.year, month.month)[1]
        return month + DAY * self.rng.randrange(last)

    def month(self, month: dt.date) -> None:
        index = month.month - 1
        season = catalog.REVENUE_SEASON[index]
        for day in sorted(
            self.day_in(month) for _ in range(self.poisson(12 * self.scale * season))
        ):
            if day <= self.as_of:
                self.sale(day)
            self.b.maybe_flush()
        for profile in VENDORS:
            self.purchases(profile, month)
            self.b.maybe_flush()
        for _ in range(self.poisson(2.5 * self.scale)):
            self.one_off(self.day_in(month))
        self.b.maybe_flush()
        self.month_end(month)

    def sale(self, day: dt.date) -> None:
        rng = self.rng
        contact_id, name, behaviour, terms = rng.choices(
            self.customers, cum_weights=self.customer_cum_weights
        )[0]
        lines: list[tuple[str, Decimal, int, int, str]] = []
        for _ in range(rng.choices((1, 2, 3), weights=(55, 30, 15))[0]):
            text, code, base = rng.choice(catalog.SERVICES)
            if "hourly" in text:
                hours = rng.randint(2, 12)
                text = text.replace("{n}", str(hours))
                lines.append((text, Decimal(hours), 125_00, hours * 125_00, code))
                continue
            amount = max(1, round(base * rng.uniform(0.6, 1.5) / 25)) * 25_00
            lines.append(
                (text.replace("{n}", str(rng.randint(2, 6))), Decimal(1), amount, amount, code)
            )
        total = self.docs.invoice_gross(name, [line[3] for line in lines])
        self.docs.invoice(
            day, (contact_id, name), terms, lines, self.payment_plan(day, total, behaviour),
            void=rng.random() < 0.015,
        )  # fmt: skip

    def payment_plan(self, day: dt.date, total: int, behaviour: str) -> list[tuple[dt.date, int]]:
        rng = self.rng
        if rng.random() < 0.06:
            behaviour = "partial"  # anyone may pay part now and the rest later, now and then
        if behaviour == "prompt":
            return [(day + DAY * rng.randint(4, 30), total)]
        if behaviour == "late" or (behaviour == "troubled" and rng.random() < 0.6):
            return [(day + DAY * rng.randint(35, 80), total)]
        if behaviour == "partial":
            first = round(total * rng.uniform(0.3, 0.6))
            return [
                (day + DAY * rng.randint(15, 40), first),
                (day + DAY * rng.randint(70, 150), total - first),
            ]
        return []  # a troubled customer who never pays this one

    def purchases(self, profile: VendorProfile, month: dt.date) -> None:
        rng, index = self.rng, month.month - 1
        if profile.recurring:
            count = round(profile.per_month) if profile.per_month >= 1 else int(index % 3 == 0)
            factor = self.scale * profile.season[index]
        else:
            count = self.poisson(profile.per_month * self.scale * profile.season[index])
            factor = 1.0
        for n in range(count):
            if profile.recurring:
                day = month + DAY * min(27, (n * 14 + len(profile.name)) % 28)
            else:
                day = self.day_in(month)
            if day > self.as_of:
                continue
            code = self.pick(profile.mix)
            text = self.fill(rng.choice(profile.texts[code]), month)
            if rng.random() < 0.03:
                code = rng.choice(_SLIPS)  # the right words, the wrong account
            amount = self.cents(*profile.amount, factor)
            if profile.via == "bank":
                recent = (self.as_of - day).days < 21
                stale = rng.random() < 0.02
                self.docs.categorized(
                    day, -amount, text, self.ids.accounts[code],
                    uncategorized=(recent and rng.random() < 0.7) or stale,
                )  # fmt: skip
                continue
            vendor = self.vendor(profile.name, profile.terms_days, profile.default_code)
            lines = [(text, amount, self.ids.accounts[code])]
            if len(profile.mix) > 1 and rng.random() < 0.15:
                extra = self.pick(profile.mix)
                lines.append(
                    (self.fill(rng.choice(profile.texts[extra]), month),
                     self.cents(*profile.amount), self.ids.accounts[extra])
                )  # fmt: skip
            source, label = ("api", "Zapier sync") if rng.random() < 0.15 else ("ui", "")
            if profile.via == "expense":
                self.docs.expense(day, vendor, lines, kind="expense", source=source, label=label)
                continue
            total = self.docs.bill_gross(vendor[1], [line[1] for line in lines])
            due = day + DAY * profile.terms_days
            pay_day = due + DAY * (
                rng.randint(10, 40) if rng.random() < 0.08 else rng.randint(-5, 2)
            )
            plan: tuple[tuple[dt.date, int], ...] = ((max(day, pay_day), total),)
            if rng.random() < 0.05:
                half = total // 2
                plan = ((max(day, pay_day), half), (max(day, pay_day) + DAY * 30, total - half))
            self.docs.expense(
                day, vendor, lines, kind="bill", terms=profile.terms_days, payments=plan,
                source=source, label=label,
            )  # fmt: skip

    def one_off(self, day: dt.date) -> None:
        if day > self.as_of:
            return
        rng = self.rng
        kind = rng.choice(catalog.ONE_OFF)
        if rng.random() < 0.5:
            name = rng.choice(kind.names)
        else:
            name = self.generated_name(set(self.vendors))
        code = kind.code if rng.random() > 0.05 else rng.choice(_SLIPS)
        text = self.fill(rng.choice(kind.texts), day)
        vendor = self.vendor(name)
        self.docs.expense(day, vendor, [(text, self.cents(*kind.amount), self.ids.accounts[code])],
                          kind="expense")  # fmt: skip

    def month_end(self, month: dt.date) -> None:
        a, rng = self.ids.accounts, self.rng
        last = month + DAY * (calendar.monthrange(month.year, month.month)[1] - 1)
        draw_day = month + DAY * 27
        # Like a careful owner: draw and save only from what checking holds beyond a cushion,
        # so the demo's bank account is never overdrawn by these.
        cushion = round(20_000_00 * self.scale)
        draw = round(6_000_00 * self.scale)
        checking = self.ids.checking[1]
        if draw_day <= self.as_of and self.b.balance(checking, draw_day) >= draw + cushion:
            self.docs.categorized(draw_day, -draw, "ONLINE TRANSFER TO OWNER", a["3100"])
        save_day, saving = month + DAY * 20, round(15_000_00 * self.scale)
        if (
            month.month % 3 == 0
            and save_day <= self.as_of
            and self.b.balance(checking, save_day) >= saving + cushion
        ):
            self.docs.transfer_to_savings(save_day, saving)
        if last <= self.as_of:
            interest = max(1, round(self.scale * rng.uniform(18_00, 42_00)))
            self.docs.categorized(
                last, interest, "INTEREST PAYMENT", a["4900"], bank=self.ids.savings
            )
            depreciation = self.equipment // 36
            self.b.entry(
                last,
                "manual",
                None,
                [(a["7500"], depreciation, None, ""), (a["1510"], -depreciation, None, "")],
                f"Monthly depreciation - equipment ({month:%B %Y})",
            )
