"""Gunicorn settings for the web dyno (`web:` in the Procfile). Each setting says why."""

import os
import sys

# Heroku routes to $PORT on all interfaces; locally the default matches `escalator serve`.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Heroku sets WEB_CONCURRENCY from the dyno size; the handler only verifies and enqueues, so two
# processes keep up with Zendesk's webhook rate on the smallest dyno.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# gthread: a slow client (or a slow Redis) ties up a thread, not a whole process.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Zendesk gives up on a webhook after about 10 s; a request that takes this long is stuck.
timeout = 20

# Heroku sends SIGTERM and kills 30 s later: finish in-flight requests well inside that window.
graceful_timeout = 20

# Longer than the Heroku router's 90 s idle keep-alive, so the router, not us, closes idle
# connections (otherwise a request can race a close and get an H18 error).
keepalive = 95

# Log to stdout/stderr: Heroku (and any 12-factor host) collects the streams.
accesslog = "-"
errorlog = "-"
# The access log has no query strings or bodies worth hiding; keep it short.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# Build the app once in the master, so a broken app stops the start-up instead of every worker
# crashing in a loop.
preload_app = True


def _validate_settings() -> None:
    """Fail before anything starts, with one message listing every missing or invalid setting."""
    from app.infra.settings import Settings, SettingsError

    try:
        Settings.from_env(require_redis=True, require_secret=True)
    except SettingsError as error:
        print(f"escalator: {error}", file=sys.stderr, flush=True)
        sys.exit(2)


_validate_settings()
