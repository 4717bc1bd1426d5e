"""Ledger: chart of accounts, contacts, invoices, expenses, payments, bank, journal, reports."""
