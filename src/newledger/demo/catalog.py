"""The demo company's world: who it sells to, who it buys from, and what those purchases look like.

Vendor profiles carry deliberate noise (mixed-category vendors, varied wording, one-off vendors)
so that categorization hints are measured against books that look like a real company's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CITIES",
    "COMPANY_NAME",
    "CUSTOMER_NAMES",
    "NAME_ADJECTIVES",
    "NAME_NOUNS",
    "NAME_SUFFIXES",
    "ONE_OFF",
    "REVENUE_SEASON",
    "SERVICES",
    "VENDORS",
    "OneOff",
    "VendorProfile",
]

COMPANY_NAME = "Northwind Design Studio"

# A design studio: busy before the holidays and at the start of the year, slow in August.
REVENUE_SEASON = (0.95, 0.9, 1.0, 1.05, 1.05, 0.95, 0.85, 0.7, 1.05, 1.15, 1.25, 1.05)

CUSTOMER_NAMES = (
    "Alder & Finch Coffee Roasters",
    "Bluebird Yoga Collective",
    "Cascade Outdoor Supply",
    "Copperline Brewing Co.",
    "Driftwood Hotels",
    "Evergreen Family Dental",
    "Fernhill Architecture",
    "Golden Hour Photography",
    "Harborview Credit Union",
    "Ironwood Fitness",
    "Juniper Health Clinic",
    "Kestrel Analytics",
    "Lakeside Montessori School",
    "Maple Street Bakery",
    "Meridian Law Group",
    "Northstar Robotics",
    "Oakridge Property Management",
    "Pinecrest Realty",
    "Quarry Hill Winery",
    "Redwood Legal Partners",
    "Riverbend Veterinary Hospital",
    "Saltwater Surf Shop",
    "Summit Peak Ventures",
    "Tidewater Seafood Market",
    "Upland Organic Farms",
    "Vantage Point Consulting",
    "Willow & Wren Florist",
    "Yellowfield Solar",
)

NAME_ADJECTIVES = (
    "Amber",
    "Bright",
    "Cedar",
    "Clear",
    "Coastal",
    "Crescent",
    "Eastside",
    "Emerald",
    "Falcon",
    "Granite",
    "Harbor",
    "Highland",
    "Horizon",
    "Juniper",
    "Lantern",
    "Liberty",
    "Lighthouse",
    "Lumen",
    "Maple",
    "Meadow",
    "Mosaic",
    "Northgate",
    "Orchard",
    "Pacific",
    "Pioneer",
    "Prairie",
    "Quantum",
    "Ridgeline",
    "River",
    "Sierra",
    "Silver",
    "Slate",
    "Sterling",
    "Stonebridge",
    "Sunrise",
    "Timber",
    "Trillium",
    "Valley",
    "Westwind",
    "Zenith",
)
NAME_NOUNS = (
    "Analytics",
    "Bakery",
    "Brewing",
    "Builders",
    "Cafe",
    "Clinic",
    "Coffee",
    "Dental",
    "Design",
    "Dynamics",
    "Fitness",
    "Foods",
    "Gallery",
    "Goods",
    "Health",
    "Hospitality",
    "Imaging",
    "Labs",
    "Landscaping",
    "Learning",
    "Logistics",
    "Media",
    "Motors",
    "Nursery",
    "Optics",
    "Outfitters",
    "Partners",
    "Pet Care",
    "Press",
    "Properties",
    "Realty",
    "Robotics",
    "Solar",
    "Studios",
    "Systems",
    "Tech",
    "Textiles",
    "Travel",
    "Ventures",
    "Wellness",
)
NAME_SUFFIXES = ("Inc.", "LLC", "Co.", "Group", "& Sons", "Collective", "Ltd.", "Corp.")

# (description, income account code, typical amount in dollars)
SERVICES = (
    ("Brand identity design", "4100", 6500),
    ("Logo refresh", "4100", 2400),
    ("Website redesign - phase {n}", "4100", 9000),
    ("Landing page design", "4100", 1800),
    ("Monthly design retainer", "4100", 3500),
    ("Illustration package ({n} pieces)", "4100", 1500),
    ("Packaging design", "4100", 4200),
    ("Social media templates", "4100", 900),
    ("Photography art direction", "4100", 2200),
    ("UX research workshop", "4100", 3000),
    ("Print production - brochures", "4000", 1600),
    ("Print production - business cards", "4000", 350),
    ("Trade show banner printing", "4000", 1100),
    ("Rush fee", "4100", 500),
    ("Revisions (hourly, {n} h)", "4100", 750),
)


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


@dataclass(frozen=True)
class OneOff:
    """A vendor seen once: the name is new, so only the wording can hint at the category."""

    code: str
    names: tuple[str, ...]
    texts: tuple[str, ...]
    amount: tuple[float, float]


ONE_OFF: tuple[OneOff, ...] = (
    OneOff(
        "6400",
        (
            "Tartine Bistro",
            "Golden Dragon",
            "Luigi's Trattoria",
            "Sakura Sushi",
            "The Daily Grind",
            "Nopa Kitchen",
        ),
        (
            "Team lunch",
            "Client lunch",
            "Dinner with client",
            "Team celebration dinner",
            "Lunch meeting",
        ),
        (35, 260),
    ),
    OneOff(
        "7300",
        ("Ace Hardware", "Home Depot", "Bayside Plumbing", "QuickFix Electric"),
        (
            "Shelf brackets and screws",
            "Door lock repair",
            "Plumbing repair - kitchen sink",
            "Light fixture repair",
            "Paint and supplies for office",
        ),
        (30, 650),
    ),
    OneOff(
        "6500",
        ("Office Depot", "Paper Source", "Blick Art Materials"),
        ("Art supplies", "Markers and sketchbooks", "Presentation boards", "Office supplies"),
        (20, 180),
    ),
    OneOff(
        "7000",
        ("Alaska Airlines", "Hilton", "Hertz", "Amtrak", "Lyft"),
        (
            "Airfare - {city}",
            "Hotel - {city}",
            "Car rental",
            "Train to client site",
            "Ride to airport",
        ),
        (25, 690),
    ),
    OneOff(
        "6000",
        ("Dribbble", "Behance Pro", "Local Chamber of Commerce", "AIGA"),
        (
            "Sponsored listing",
            "Portfolio promotion",
            "Networking event sponsorship",
            "Membership dues",
        ),
        (80, 600),
    ),
    OneOff(
        "7900",
        ("City Business License", "Parking Garage", "Costco"),
        ("Business license renewal", "Parking", "Kitchen supplies", "Miscellaneous"),
        (12, 320),
    ),
    OneOff(
        "6800",
        ("Notion", "Canva", "Webflow", "Squarespace", "1Password"),
        ("Annual plan", "Subscription", "Team plan - annual", "Website hosting"),
        (60, 480),
    ),
)

CITIES = ("Seattle", "Portland", "Austin", "Denver", "Chicago", "New York", "Los Angeles")
