"""How a tool answers: concise text for the model plus structured content, or an error that says
what to do. Domain errors from the services become error results here, never protocol errors, so
the model reads them (MCP 2025-11-25, server/tools "Error Handling": tool errors go in the result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any, ClassVar

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from newledger.appconnect.mcp.call import McpCall, current_call
from newledger.db import session_scope
from newledger.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from newledger.hotread import commit
from newledger.runtime import get_sessionmaker

__all__ = ["ShapedResult", "failure", "guarded", "shaped_by", "success"]


class ShapedResult(CallToolResult):
    """A ``CallToolResult`` whose structured content is the JSON dump of a ``shaped_by`` model
    validated from the tool's data (``success``). Same fields, so the SDK serializes it as any
    ``CallToolResult``; the type only says which model already checked it, so the lean path
    (``toolcall.py``) does not validate it against the same output schema a second time."""

    shaped_by: ClassVar[type[BaseModel] | None] = None


@cache
def _shaped_type(model: type[BaseModel]) -> type[ShapedResult]:
    namespace = {"__module__": __name__, "shaped_by": model}
    return type(f"{model.__name__}Result", (ShapedResult,), namespace)


def shaped_by(result: object) -> type[BaseModel] | None:
    """The output model ``success`` validated ``result``'s structured content with, if any."""
    return result.shaped_by if isinstance(result, ShapedResult) else None


def success(text: str, model: type[BaseModel], data: dict[str, Any]) -> CallToolResult:
    """``data`` shaped by ``model`` (the tool's output schema): fields it does not declare are
    dropped, so structured content never carries more than the schema says."""
    structured = model.model_validate(data).model_dump(mode="json", by_alias=True)
    return _shaped_type(model)(
        content=[TextContent(type="text", text=text)], structured_content=structured
    )


def failure(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def explain(exc: DomainError) -> str:
    """An error as advice: which field and why, which permission, what to try next."""
    if isinstance(exc, ValidationFailed):
        fields = "; ".join(f"{name}: {why}" for name, why in exc.errors.items())
        detail = f" ({fields})" if fields else ""
        return f"{exc}{detail}. Correct the argument and call the tool again."
    if isinstance(exc, PermissionDenied):
        needed = " ".join(exc.required) or "a permission this connection lacks"
        return (
            f"{exc} Needed: {needed}. Ask the company's owner to grant it to this connection, "
            "then request a token with that scope."
        )
    if isinstance(exc, NotFound):
        return f"{exc}. Check the id (list or search tools return valid ids)."
    return f"{exc} ({exc.code})."


async def guarded(
    work: Callable[[McpCall], CallToolResult], *, thread: bool = False
) -> CallToolResult:
    """Run ``work`` for the current call and end its unit of work; a domain error becomes an
    error result.

    Without ``thread`` the work runs here, on the event loop, in the endpoint's unit of work
    (reusing the token check's connection): for cheap indexed reads, where a thread-pool hop
    would cost more than the work.

    ``thread``: run it in the thread pool, as REST runs reports, so one big report never holds
    up the worker's other requests. As in REST (``api/resources/reports.py``, ``_run``), the
    unit of work so far ends before the hop, so no connection is held across the await, and
    the work runs in a pooled unit of work of its own that ends where it ran, so its connection
    goes back to the pool there and then, not once the event loop gets round to it (a worker
    with every pooled connection parked behind its own event loop would stall).
    """
    call = current_call()

    def run(call: McpCall) -> CallToolResult:
        try:
            result = work(call)
        except DomainError as exc:
            call.session.rollback()
            return failure(explain(exc))
        except BaseException:
            call.session.rollback()
            raise
        commit(call.session)
        return result

    if thread:
        commit(call.session)
        return await run_in_threadpool(_pooled, run, call)
    return run(call)


def _pooled(run: Callable[[McpCall], CallToolResult], call: McpCall) -> CallToolResult:
    """``run`` in a pooled unit of work of its own (the endpoint's may be on the event loop's
    connection, which the loop goes on using meanwhile)."""
    with session_scope(get_sessionmaker()) as session:
        return run(replace(call, session=session))
