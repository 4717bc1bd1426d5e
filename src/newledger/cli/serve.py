"""``newledger serve``: migrate, then run the web app under uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from newledger.cli.common import console
from newledger.migrate import upgrade
from newledger.runtime import get_engine


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port"),
    workers: int = typer.Option(1, help="Worker processes (2 suits a 2-core machine)"),
    migrate: bool = typer.Option(True, help="Apply migrations before serving"),
) -> None:
    """Serve the workspace UI, the OAuth token endpoint and REST API v1."""
    if migrate:
        upgrade(get_engine())
    console.print(
        f"NewLedger serving on [bold]http://{host}:{port}[/bold] "
        f"({workers} worker{'s' if workers != 1 else ''}); press Ctrl+C to stop."
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
