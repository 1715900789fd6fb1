"""Alembic environment: migrate the engine the app hands over (never a URL from an ini file)."""

from alembic import context

from videoforge import models  # noqa: F401 - registers every table on Base.metadata
from videoforge.db import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=engine.dialect.name == "sqlite")
    context.run_migrations()
