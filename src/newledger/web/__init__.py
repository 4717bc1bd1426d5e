"""HTTP adapters: the workspace UI, OAuth endpoints, REST API v1."""
