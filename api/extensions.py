"""Flask extensions, bound to an app in create_app (no app exists at import time)."""
from flask_sqlalchemy import SQLAlchemy

from engine.store.models import Base

db = SQLAlchemy(metadata=Base.metadata)
