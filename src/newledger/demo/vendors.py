"""Vendors the demo studio buys from again and again, and how each one is booked.

Some vendors are one category, some are mixed (Amazon, Staples, Uber), and the wording varies,
so categorization hints are measured on books that look like a real company's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["VENDORS", "VendorProfile"]


@dataclass(frozen=True)
class VendorProfile:
    """A vendor the studio buys from again and again.

    ``mix`` maps account code → weight: most vendors are one category, some are mixed.
    ``texts`` maps account code → description templates ({n}, {m} and {ref} are filled in).
    ``via``: ``bill`` (owed, paid later), ``expense`` (paid at once) or ``bank`` (a card or bank
    debit categorized straight from the bank feed; its texts are then statement lines).
    """

    name: str
    via: str
    mix: dict[str, float]
    texts: dict[str, tuple[str, ...]]
    amount: tuple[float, float]
    per_month: float
    recurring: bool = False
    default_code: str | None = None
    season: tuple[float, ...] = field(default=(1.0,) * 12)
    terms_days: int = 30


_WINTER_SUMMER = (1.35, 1.25, 1.0, 0.85, 0.85, 1.05, 1.25, 1.3, 1.0, 0.85, 1.0, 1.3)
_CONFERENCES = (0.6, 0.8, 1.4, 1.3, 1.0, 0.8, 0.5, 0.5, 1.3, 1.5, 1.0, 0.6)

VENDORS: tuple[VendorProfile, ...] = (
    VendorProfile(
        "Brightline Properties",
        "bill",
        {"6700": 1},
        {"6700": ("Office rent - {month}", "Monthly rent, suite 300")},
        (4200, 4200),
        1,
        recurring=True,
        default_code="6700",
        terms_days=5,
    ),
    VendorProfile(
        "Pacific Gas & Electric",
        "bill",
        {"7100": 1},
        {"7100": ("Electricity - {month}", "Gas and electric service", "Utility bill {month}")},
        (180, 420),
        1,
        recurring=True,
        default_code="7100",
        season=_WINTER_SUMMER,
        terms_days=21,
    ),
    VendorProfile(
        "City Water & Sewer",
        "bill",
        {"7100": 1},
        {"7100": ("Water and sewer", "Water service {month}")},
        (60, 140),
        1,
        recurring=True,
        default_code="7100",
        season=_WINTER_SUMMER,
        terms_days=21,
    ),
    VendorProfile(
        "Comcast Business",
        "expense",
        {"6900": 1},
        {"6900": ("Business internet", "Internet 500 Mbps - {month}", "Internet and phone bundle")},
        (189, 219),
        1,
        recurring=True,
        default_code="6900",
    ),
    VendorProfile(
        "Verizon Wireless",
        "expense",
        {"6900": 1},
        {"6900": ("Mobile phones - {n} lines", "Cell phone plan")},
        (240, 310),
        1,
        recurring=True,
        default_code="6900",
    ),
    VendorProfile(
        "Adobe",
        "expense",
        {"6800": 1},
        {"6800": ("Creative Cloud - {n} seats", "Adobe CC subscription", "Adobe Stock credits")},
        (330, 420),
        1,
        recurring=True,
        default_code="6800",
    ),
    VendorProfile(
        "Figma",
        "expense",
        {"6800": 1},
        {"6800": ("Figma Professional", "Figma seats - {month}")},
        (90, 150),
        1,
        recurring=True,
        default_code="6800",
    ),
    VendorProfile(
        "Google Workspace",
        "expense",
        {"6800": 1},
        {"6800": ("Workspace Business", "G Suite licenses", "Google Workspace {month}")},
        (84, 108),
        1,
        recurring=True,
    ),
    VendorProfile(
        "Slack",
        "expense",
        {"6800": 1},
        {"6800": ("Slack Pro plan", "Slack workspace")},
        (60, 80),
        1,
        recurring=True,
    ),
    VendorProfile(
        "Dropbox",
        "expense",
        {"6800": 1},
        {"6800": ("Dropbox Business storage", "Cloud storage")},
        (45, 75),
        1,
        recurring=True,
    ),
    VendorProfile(
        "Gusto",
        "bank",
        {"7200": 1},
        {"7200": ("GUSTO PAYROLL {ref}", "GUSTO NET PAY {ref}", "GUSTO TAX {ref}")},
        (10500, 11500),
        2,
        recurring=True,
    ),
    VendorProfile(
        "The Hartford",
        "bill",
        {"6300": 1},
        {"6300": ("General liability insurance", "Business owner's policy - quarterly")},
        (900, 1050),
        1 / 3,
        recurring=True,
        default_code="6300",
    ),
    VendorProfile(
        "Baker & Lowe CPA",
        "bill",
        {"6600": 1},
        {"6600": ("Quarterly bookkeeping review", "Tax preparation", "Advisory - {month}")},
        (650, 2400),
        1 / 3,
        recurring=True,
    ),
    VendorProfile(
        "Staples",
        "expense",
        {"6500": 0.86, "7400": 0.09, "7300": 0.05},
        {
            "6500": (
                "Printer paper and toner",
                "Office supplies restock",
                "Pens, notebooks, folders",
                "Sticky notes and binders",
                "Office supplies - {month}",
                "Toner cartridges",
                "Supplies order {ref}",
            ),
            "7400": ("Shipping labels and mailers", "Packing boxes and tape"),
            "7300": ("Printer repair kit", "Desk chair replacement parts"),
        },
        (25, 240),
        1.6,
    ),
    VendorProfile(
        "Amazon",
        "expense",
        {"6500": 0.45, "6800": 0.15, "7300": 0.2, "7400": 0.1, "7900": 0.1},
        {
            "6500": (
                "USB-C cables and adapters",
                "Desk organizers",
                "Amazon order {ref}",
                "Notebooks and markers",
                "Whiteboard supplies",
            ),
            "6800": ("Kindle books - design references", "Font license", "Amazon order {ref}"),
            "7300": (
                "Replacement monitor stand",
                "Office light bulbs",
                "Amazon order {ref}",
                "Vacuum cleaner",
            ),
            "7400": ("Poly mailers", "Amazon order {ref}"),
            "7900": ("Kitchen supplies", "Amazon order {ref}", "Gift for client"),
        },
        (18, 420),
        2.2,
    ),
    VendorProfile(
        "FedEx",
        "expense",
        {"7400": 1},
        {"7400": ("Overnight proofs to client", "Courier - print samples", "Shipping {ref}")},
        (28, 140),
        1.1,
        default_code="7400",
    ),
    VendorProfile(
        "USPS",
        "bank",
        {"7400": 1},
        {"7400": ("USPS PO {ref}", "USPS.COM CLICK N SHIP")},
        (12, 60),
        0.8,
    ),
    VendorProfile(
        "Maya Chen Illustration",
        "bill",
        {"6200": 1},
        {
            "6200": (
                "Illustration work - {n} pieces",
                "Freelance illustration",
                "Character sketches",
            )
        },
        (800, 3200),
        0.9,
        default_code="6200",
        terms_days=15,
    ),
    VendorProfile(
        "Pixel & Pine Freelance",
        "bill",
        {"6200": 0.9, "6600": 0.1},
        {
            "6200": ("Front-end development", "Web development - sprint {n}", "Dev hours ({n} h)"),
            "6600": ("Technical consulting",),
        },
        (1200, 5200),
        0.8,
        terms_days=15,
    ),
    VendorProfile(
        "Jordan Ruiz Photography",
        "bill",
        {"6200": 1},
        {"6200": ("Product photo shoot", "Photography day rate")},
        (600, 1800),
        0.35,
        terms_days=15,
    ),
    VendorProfile(
        "Google Ads",
        "expense",
        {"6000": 1},
        {"6000": ("Search campaign - {month}", "Google Ads spend")},
        (250, 900),
        1,
        recurring=True,
        default_code="6000",
        season=(1.3, 1.2, 1.0, 0.9, 0.9, 0.8, 0.8, 1.0, 1.3, 1.2, 0.9, 0.8),
    ),
    VendorProfile(
        "Meta Ads",
        "expense",
        {"6000": 1},
        {"6000": ("Instagram promotion", "Facebook ads - portfolio", "Social campaign {month}")},
        (120, 500),
        0.7,
    ),
    VendorProfile(
        "Delta Air Lines",
        "expense",
        {"7000": 1},
        {"7000": ("Flight to client workshop", "Airfare - {city}", "Conference travel - {city}")},
        (240, 780),
        0.6,
        season=_CONFERENCES,
    ),
    VendorProfile(
        "Marriott",
        "expense",
        {"7000": 0.9, "6400": 0.1},
        {
            "7000": ("Hotel - {city}", "Lodging {n} nights", "Conference hotel"),
            "6400": ("Client dinner at hotel restaurant",),
        },
        (180, 720),
        0.5,
        season=_CONFERENCES,
    ),
    VendorProfile(
        "Uber",
        "bank",
        {"7000": 0.75, "6400": 0.25},
        {
            "7000": ("UBER *TRIP {ref}", "UBER TRIP HELP.UBER.COM", "UBER *TRIP SAN FRANCISCO"),
            "6400": ("UBER *EATS {ref}", "UBER EATS PENDING", "UBER *TRIP {ref}"),
        },
        (14, 95),
        2.5,
    ),
    VendorProfile(
        "Blue Bottle Coffee",
        "bank",
        {"6400": 1},
        {"6400": ("BLUE BOTTLE COFFEE {ref}", "SQ *BLUE BOTTLE COFFEE")},
        (9, 48),
        2.0,
    ),
    VendorProfile(
        "First Community Bank",
        "bank",
        {"6100": 1},
        {"6100": ("SERVICE CHARGE {ref}", "WIRE TRANSFER FEE", "MONTHLY MAINTENANCE FEE")},
        (15, 45),
        1.3,
    ),
    VendorProfile(
        "Apple",
        "expense",
        {"1500": 0.6, "6800": 0.25, "7300": 0.15},
        {
            "1500": ("MacBook Pro for designer", "Studio Display", "iMac workstation"),
            "6800": ("iCloud storage", "App Store - Final Cut Pro"),
            "7300": ("AppleCare repair", "Keyboard replacement"),
        },
        (20, 2900),
        0.25,
    ),
    VendorProfile(
        "WeWork",
        "expense",
        {"6700": 0.7, "6400": 0.3},
        {"6700": ("Day pass - {city}", "Meeting room rental"), "6400": ("Event space catering",)},
        (45, 380),
        0.4,
    ),
)
