"""Attachments: files (receipts, signed invoices) kept with invoices and expenses.

``kinds`` (the allowed types, told from the bytes), ``names`` (safe file names), ``storage``
(files on disk, in step with their rows), ``upload`` (a streamed multipart upload),
``services`` (the rules), ``download`` (the bytes as an HTTP response).
"""
