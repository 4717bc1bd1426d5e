"""Build the ``/api/v1`` application and mount it (plus ``/api/docs``) on the web app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse

from newledger.appconnect.api.docs import docs_page
from newledger.appconnect.api.guards import ApiGuard, RouteTable
from newledger.appconnect.api.limits import BodySizeLimit
from newledger.appconnect.api.openapi import build_openapi
from newledger.appconnect.api.problems import install_problem_handlers
from newledger.appconnect.api.resources import ROUTERS

__all__ = ["create_api_app", "mount_api"]

DESCRIPTION = """\
Read a company's books and drop in drafts for review, with an App Connect bearer token (OAuth 2.0
client credentials; each operation names its scope, also as `x-permission`). Amounts are decimal
strings with their currency; errors are `application/problem+json` with a stable `code`.

`HEAD` answers wherever `GET` does. Reads of one object and reports carry an `ETag`, and
`If-None-Match` with it answers 304. Draft updates and deletes need `If-Match` (428 without, 412
when stale); creates take `Idempotency-Key`. A query parameter an operation does not take is a
400; a body must be `application/json`, except a file upload's (`multipart/form-data`).
Reference: `/api/docs`."""


def operation_id(route: APIRoute) -> str:
    """A route without its own ``operation_id`` gets its function's name in camelCase
    (``list_changes`` → ``listChanges``), never FastAPI's ``list_changes_changes_get``."""
    first, *rest = route.name.split("_")
    return first + "".join(part.title() for part in rest)


def create_api_app() -> FastAPI:
    api = FastAPI(
        title="NewLedger REST API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        root_path_in_servers=False,
        separate_input_output_schemas=False,
        generate_unique_id_function=operation_id,
    )
    install_problem_handlers(api)
    api.state.route_table = RouteTable(ROUTERS)
    api.add_middleware(ApiGuard, table=api.state.route_table)
    api.add_middleware(BodySizeLimit, table=api.state.route_table)
    for router in ROUTERS:
        api.include_router(router)
    api.openapi = lambda: build_openapi(api, ROUTERS)  # type: ignore[method-assign]
    return api


def mount_api(app: FastAPI) -> None:
    api = create_api_app()
    app.mount("/api/v1", api)
    # Match the API before the UI's routes: it is the hot path, and its prefix is its own.
    app.router.routes.insert(0, app.router.routes.pop())
    page: list[HTMLResponse] = []

    def api_docs() -> HTMLResponse:
        if not page:
            page.append(docs_page(api))
        return page[0]

    app.add_api_route("/api/docs", api_docs, methods=["GET", "HEAD"], include_in_schema=False)
