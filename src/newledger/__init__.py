"""NewLedger: self-hostable, multi-company double-entry accounting with App Connect."""

__version__ = "0.1.0"
