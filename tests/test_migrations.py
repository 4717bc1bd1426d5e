"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

from sqlalchemy import Engine

from newledger.migrate import pending_model_changes


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    assert pending_model_changes(engine) == []
