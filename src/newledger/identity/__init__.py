"""Identity: users, companies, memberships and roles, sessions, TOTP."""
