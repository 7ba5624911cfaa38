"""The persistent store: SQLAlchemy 2 models, engine set-up and Alembic migrations."""
