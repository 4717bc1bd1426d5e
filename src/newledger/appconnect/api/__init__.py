"""REST API v1 (DESIGN §6): a FastAPI sub-application mounted at ``/api/v1``.

It is a separate application so that its error handlers (RFC 9457 problem details) and its
OpenAPI document cover exactly the API and nothing of the UI. ``app.mount_api`` is the one line
the web app calls. This package module stays import-light so ``newledger.models`` can import the
API's tables without loading the web stack.
"""
