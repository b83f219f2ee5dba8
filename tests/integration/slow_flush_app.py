"""The app as the Procfile's gunicorn serves it, but with webhook outcomes flushed only hourly, so
a test can tell the exit flush apart from the periodic one (test_metrics_at_exit.py)."""

from app import defaults
from app.web import factory


def create_app():
    defaults.METRICS_FLUSH_INTERVAL_SECONDS = 3600
    return factory.create_app()
