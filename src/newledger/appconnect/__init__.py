"""App Connect: API credential apps, their tokens, the token endpoint and bearer authentication."""
