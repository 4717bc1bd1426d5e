"""The company switcher: the session's current company, among those the user belongs to."""

from __future__ import annotations

from fastapi import Depends, Form, Response
from fastapi.responses import RedirectResponse

from newledger.web.deps import WebContext, require_user, safe_next, web_router
from newledger.web.errors import PageError

router = web_router()


@router.post("/company/switch")
def switch_company(
    company_id: int = Form(...),
    next: str = Form("/"),
    ctx: WebContext = Depends(require_user),
) -> Response:
    if company_id not in {company.id for company, _ in ctx.companies}:
        raise PageError(403, "Not allowed", "You are not a member of that company.")
    ctx.web_session.company_id = company_id
    ctx.db.commit()
    # Settings pages of one company make no sense in another one the user may not manage.
    target = safe_next(next)
    if target.startswith("/settings"):
        target = "/"
    return RedirectResponse(target, status_code=303)
