"""Gunicorn settings for the web dyno (`web:` in the Procfile). Each setting says why.

The numbers were chosen from measurements on a 2-core machine (docs/performance.md: the intake
ratio against a bare endpoint, and 100 slow clients).
"""

# These two lines stay first. gunicorn runs this file in the master before it imports the app
# (preload_app), and ssl/socket must be patched before urllib3, requests, redis or sentry import
# them: patched later (by the worker, after the fork), HTTPS calls fail with RecursionError.
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from app.infra.logs import logging_config  # noqa: E402
from app.infra.metrics import flush_all  # noqa: E402
from app.infra.settings import Settings, SettingsError  # noqa: E402


def _validated_settings() -> Settings:
    """Every setting, this file's included (PORT, WEB_CONCURRENCY, GUNICORN_WORKER_CONNECTIONS,
    ESCALATOR_LOG_*), read and validated once: a bad or missing one stops the start-up before
    anything runs, with one message listing them all and no traceback."""
    try:
        return Settings.from_env(require_redis=True, require_secret=True)
    except SettingsError as error:
        print(f"escalator: {error}", file=sys.stderr, flush=True)
        sys.exit(2)


_settings = _validated_settings()

# Heroku routes to $PORT on all interfaces; locally the default matches `escalator serve`.
bind = f"0.0.0.0:{_settings.port}"

# Heroku sets WEB_CONCURRENCY from the dyno size. One process per core: the handler is CPU work
# (HMAC, JSON, building the job) around one Redis round trip, so more processes than cores only
# add context switches (measured: 1, 2 and 3 processes gave the same intake ratio within noise on
# 2 cores; on a dyno, Redis runs elsewhere and both cores are the web's).
workers = _settings.web_concurrency

# gevent: every connection is a greenlet (about 10 KB), so slow or idle clients cost memory, not
# a thread each. Measured (bench/slow_clients.py): with gthread (2 x 4 threads) 100 clients sending
# a byte a second answered 0 of 8 signed webhooks; with gevent, 40 of 40 within a millisecond or
# two. gevent is also cheaper per webhook here (bench/intake.py: 400-530 us of CPU against gthread's
# 520-580), because the enqueue scripts of concurrent requests share one Redis round trip
# (app/infra/batching.py). The class is gunicorn's gevent worker sending each response in one TCP
# segment (app/web/gunicorn_worker.py).
worker_class = "app.web.gunicorn_worker.CorkedGeventWorker"

# The most connections one process holds; when full it stops accepting. Far above any number of
# slow clients we expect (measured: 50 here with 100 slow clients answered no webhook at all).
worker_connections = _settings.worker_connections

# Zendesk gives up on a webhook after about 10 s; a request that takes this long is stuck.
timeout = 20

# Heroku sends SIGTERM and kills 30 s later: finish in-flight requests well inside that window.
graceful_timeout = 20

# Longer than the Heroku router's 90 s idle keep-alive, so the router, not us, closes idle
# connections (otherwise a request can race a close and get an H18 error). Under gevent this is
# also the deadline for a client to send a request's headers; the body has its own deadline
# (app/web/body_deadline.py).
keepalive = 95

# Log to stderr: Heroku (and any 12-factor host) collects the streams. Access lines and gunicorn's
# own go through escalator's formatter (JSON unless on a terminal; app/infra/logs.py).
accesslog = "-"
errorlog = "-"

# Build the app once in the master, so a broken app stops the start-up instead of every worker
# crashing in a loop.
preload_app = True


logconfig_dict = logging_config(_settings.log_format, _settings.log_level)


def worker_exit(server, worker):
    """A worker stopping (deploy, restart): its last webhook counts go to Redis, not with it. The
    atexit hook does the same; this one runs even when gunicorn leaves by another path. A worker
    still holding an idle keep-alive connection at graceful_timeout is killed by the master and
    runs neither (the periodic flush has written all but its last second by then)."""
    flush_all()
