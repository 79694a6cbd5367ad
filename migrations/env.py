"""Alembic environment: the URL comes from engine.store.schema.upgrade_database, never from an ini file."""
from alembic import context
from sqlalchemy import create_engine

from engine.store.db import configure_engine, engine_options
from engine.store.models import Base

url = context.config.attributes["url"]
engine = configure_engine(create_engine(url, **engine_options(url)))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
