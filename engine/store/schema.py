"""Database schema upgrades with Alembic (the migrations live in the top-level `migrations/`)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from engine.store.db import database_url


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["url"] = database_url(url)
    return config


def upgrade_database(url: str | None = None) -> None:
    """Bring the database to the newest schema (creates it when empty)."""
    command.upgrade(alembic_config(url), "head")
