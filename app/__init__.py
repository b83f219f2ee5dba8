"""escalator: enforce a support team's urgency policy inside Zendesk."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(settings=None, *, redis_connection=None, clock=None):
    """The Flask app. `gunicorn 'app:create_app()'` reads settings from the environment."""
    from app.factory import build_app

    return build_app(settings, redis_connection=redis_connection, clock=clock)
