"""OAuth 2.0 endpoints (RFC 6749 token endpoint, RFC 7009 revocation)."""
