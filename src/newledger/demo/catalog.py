"""The demo company's world: who it sells to, who it buys from, and what those purchases look like.

Vendor profiles carry deliberate noise (mixed-category vendors, varied wording, one-off vendors)
so that categorization hints are measured against books that look like a real company's.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "OneOff",
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
