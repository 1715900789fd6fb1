"""Admin HTTP API: queue depth, dead letters, redrive and retry."""

from flask_smorest import Blueprint

blp = Blueprint("admin", __name__, description="Operators: queue, dead letters, retries")
