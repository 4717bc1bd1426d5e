"""Users, companies and memberships, and the one answer to "what may this user do here"."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.db import utcnow
from newledger.errors import Conflict, NotFound, ValidationFailed
from newledger.identity.models import Company, Membership, MembershipPeriod, User
from newledger.identity.passwords import hash_password
from newledger.identity.permissions import Permission, Role, role_permissions
from newledger.money import DEFAULT_LOCALE, validate_currency, validate_locale

__all__ = [
    "COMMON_LOCALES",
    "add_member",
    "create_company",
    "create_user",
    "get_company",
    "get_company_by_slug",
    "get_user_by_email",
    "looks_like_email",
    "permissions_for",
    "update_company_profile",
    "user_actor",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MIN_PASSWORD_LENGTH = 10


def looks_like_email(value: str) -> bool:
    """Shaped like ``name@domain.tld`` (deliverability is not checked)."""
    return _EMAIL.match(value) is not None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session, *, email: str, name: str, password: str, is_demo: bool = False
) -> User:
    email = normalize_email(email)
    if not looks_like_email(email):
        raise ValidationFailed("Invalid email address", errors={"email": "invalid"})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            errors={"password": "too short"},
        )
    if get_user_by_email(session, email) is not None:
        raise Conflict(f"A user with email {email} already exists", code="email_taken")
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password),
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record(
        session,
        Event.USER_CREATED,
        Actor.system(None),
        subject_type="user",
        subject_id=user.id,
        details={"email": email},
    )
    return user


def get_company(session: Session, actor: Actor) -> Company:
    """The profile of the company the actor works in. Needs ``company:read``."""
    actor.require(Permission.COMPANY_READ)
    company = session.get(Company, actor.company_scope())
    if company is None:
        raise NotFound("This token's company no longer exists.")
    return company


def get_company_by_slug(session: Session, slug: str) -> Company:
    company = session.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise NotFound(f"No company {slug!r}")
    return company


# Offered on Settings → Company; any locale Babel knows is accepted through the service.
COMMON_LOCALES = (
    ("en_US", "English (United States)"),
    ("en_GB", "English (United Kingdom)"),
    ("en_CA", "English (Canada)"),
    ("en_AU", "English (Australia)"),
    ("en_NZ", "English (New Zealand)"),
    ("en_IE", "English (Ireland)"),
    ("de_DE", "Deutsch (Deutschland)"),
    ("de_AT", "Deutsch (Österreich)"),
    ("de_CH", "Deutsch (Schweiz)"),
    ("fr_FR", "Français (France)"),
    ("fr_CA", "Français (Canada)"),
    ("es_ES", "Español (España)"),
    ("es_MX", "Español (México)"),
    ("it_IT", "Italiano (Italia)"),
    ("nl_NL", "Nederlands (Nederland)"),
    ("pt_BR", "Português (Brasil)"),
    ("sv_SE", "Svenska (Sverige)"),
    ("ja_JP", "日本語 (日本)"),
)


def update_company_profile(
    session: Session,
    actor: Actor,
    *,
    name: str,
    fiscal_year_start_month: int,
    locale: str,
) -> Company:
    """Change the company's name, fiscal year start and locale (how its amounts read). Needs
    ``company:manage``; the home currency and slug never change here (the books and every URL
    depend on them). Records what changed, old and new."""
    actor.require(Permission.COMPANY_MANAGE)
    company = session.get(Company, actor.company_scope(), with_for_update=True)
    if company is None:
        raise NotFound("This company no longer exists.")
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 200:
        errors["name"] = "1-200 characters"
    if not 1 <= fiscal_year_start_month <= 12:
        errors["fiscal_year_start_month"] = "a month, 1-12"
    try:
        locale = validate_locale(locale)
    except ValidationFailed:
        errors["locale"] = "use a code like en_US or de_DE"
    if errors:
        raise ValidationFailed("Check the company profile", errors=errors)
    wanted = {"name": name, "fiscal_year_start_month": fiscal_year_start_month, "locale": locale}
    changed = {k: [getattr(company, k), v] for k, v in wanted.items() if getattr(company, k) != v}
    for key, (_old, new) in changed.items():
        setattr(company, key, new)
    if changed:
        session.flush()
        record(
            session,
            Event.COMPANY_UPDATED,
            actor,
            subject_type="company",
            subject_id=company.id,
            details={"changed": changed},
        )
    return company


def create_company(
    session: Session,
    *,
    name: str,
    slug: str,
    home_currency: str = "USD",
    fiscal_year_start_month: int = 1,
    owner: User | None = None,
    locale: str = DEFAULT_LOCALE,
) -> Company:
    if not _SLUG.match(slug):
        raise ValidationFailed(
            "Slug must be lowercase letters, digits and dashes", errors={"slug": "invalid"}
        )
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValidationFailed(
            "Fiscal year start month must be 1-12", errors={"fiscal_year_start_month": "invalid"}
        )
    if session.scalar(select(Company.id).where(Company.slug == slug)) is not None:
        raise Conflict(f"Slug {slug!r} is taken", code="slug_taken")
    company = Company(
        name=name.strip(),
        slug=slug,
        home_currency=validate_currency(home_currency),
        fiscal_year_start_month=fiscal_year_start_month,
        locale=validate_locale(locale),
    )
    session.add(company)
    session.flush()
    record(
        session,
        Event.COMPANY_CREATED,
        Actor.system(company.id),
        subject_type="company",
        subject_id=company.id,
        details={"slug": slug},
    )
    if owner is not None:
        add_member(
            session, company=company, user=owner, role=Role.OWNER, actor=Actor.system(company.id)
        )
    return company


def add_member(
    session: Session, *, company: Company, user: User, role: str, actor: Actor
) -> Membership:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role {role!r}", errors={"role": "unknown"}) from None
    existing = session.scalar(
        select(Membership).where(Membership.company_id == company.id, Membership.user_id == user.id)
    )
    if existing is not None:
        raise Conflict(f"{user.email} is already a member", code="already_member")
    membership = Membership(company_id=company.id, user_id=user.id, role=role.value)
    session.add(membership)
    session.add(MembershipPeriod(company_id=company.id, user_id=user.id, started_at=utcnow()))
    session.flush()
    record(
        session,
        Event.MEMBER_ADDED,
        actor,
        company_id=company.id,
        subject_type="user",
        subject_id=user.id,
        details={"email": user.email, "role": role.value},
    )
    return membership


def permissions_for(session: Session, user_id: int, company_id: int) -> frozenset[Permission]:
    """Which permissions does this user hold in this company (empty when not a member)."""
    role = session.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == user_id,
            Membership.company_id == company_id,
            User.is_active.is_(True),
        )
    )
    return role_permissions(role) if role else frozenset()


def user_actor(
    session: Session,
    user: User,
    company_id: int,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    source: str = "",
) -> Actor:
    return Actor(
        "user",
        company_id,
        permissions_for(session, user.id, company_id),
        user_id=user.id,
        label=user.email,
        ip=ip,
        user_agent=user_agent,
        source=source,
    )
