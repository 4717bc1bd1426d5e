"""``newledger serve``: migrate, then run the web app under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

import typer
import uvicorn

from newledger.cli.common import console, err_console
from newledger.config import get_settings
from newledger.migrate import upgrade
from newledger.runtime import get_engine

_PUBLIC_URL_ENV = "NEWLEDGER_PUBLIC_URL"
_ANY = {"0.0.0.0", "::", ""}  # noqa: S104 (recognised in --host, never bound here)


def bound_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches ``host:port`` at (all interfaces → loopback)."""
    if host in _ANY:
        host = "127.0.0.1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


def _public_url(host: str, port: int) -> str:
    """The URL every page, token endpoint, curl example and MCP URL uses.

    Unset, it follows ``--host``/``--port`` (set in the environment, so the worker processes
    inherit it). Set, it is kept (a proxy may serve the app under another name), with a warning
    when its port cannot reach this server directly.
    """
    given = os.environ.get(_PUBLIC_URL_ENV)
    if not given:
        os.environ[_PUBLIC_URL_ENV] = bound_url(host, port)
        get_settings.cache_clear()
        if host in _ANY:
            err_console.print(
                f"[yellow]Warning:[/yellow] serving on all interfaces with no {_PUBLIC_URL_ENV}: "
                f"links and OAuth URLs say {bound_url(host, port)}, which only this machine "
                f"reaches. Set {_PUBLIC_URL_ENV} to the address people and apps use."
            )
        return os.environ[_PUBLIC_URL_ENV]
    parts = urlsplit(given)
    default = 443 if parts.scheme == "https" else 80
    local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if local and (parts.port or default) != port:
        err_console.print(
            f"[yellow]Warning:[/yellow] {_PUBLIC_URL_ENV} is {given}, but this server listens "
            f"on port {port}: every URL the app shows (token endpoint, curl examples, MCP URL) "
            "points elsewhere. Unset it to follow --port, or make them agree."
        )
    return given


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port"),
    workers: int = typer.Option(1, help="Worker processes (2 suits a 2-core machine)"),
    migrate: bool = typer.Option(True, help="Apply migrations before serving"),
) -> None:
    """Serve the workspace UI, the OAuth token endpoint and REST API v1."""
    public = _public_url(host, port)
    if migrate:
        console.print(upgrade(get_engine()).describe())
    here = bound_url(host, port)
    console.print(
        f"NewLedger serving on [bold]{here}[/bold]"
        + (f" (public URL {public})" if public != here else "")
        + f" ({workers} worker{'s' if workers != 1 else ''}); press Ctrl+C to stop."
    )
    uvicorn.run(
        "newledger.web.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        http="newledger.web.http_protocol:OneWriteHttpToolsProtocol",
    )
