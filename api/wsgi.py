"""The application as gunicorn's worker processes load it (`fuse serve --workers N`, api.gunicorn_config)."""
from __future__ import annotations

import os

from api.app import create_app

# The app knows how many threads serve it: long polls may hold at most half of them (FUSE_LONG_POLL_*).
app = create_app({"SERVE_THREADS": int(os.environ.get("FUSE_SERVE_THREADS", "8"))})
