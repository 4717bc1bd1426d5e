"""The ``newledger`` command line (typer + rich)."""
