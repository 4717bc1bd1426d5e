"""``/``: a placeholder home until the dashboard lands (the ledger pages replace it)."""

from __future__ import annotations

from fastapi import Depends, Request, Response

from newledger.web.deps import WebContext, require_user, web_router
from newledger.web.templating import render

router = web_router()


@router.get("/")
def home(request: Request, ctx: WebContext = Depends(require_user)) -> Response:
    return render(request, "home.html", ctx)
