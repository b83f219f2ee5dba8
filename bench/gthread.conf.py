"""The web settings before issue 13 (gthread, 2 processes x 4 threads), to compare against:

    BENCH_GUNICORN_CONFIG=bench/gthread.conf.py .venv/bin/python -m bench.intake
    BENCH_GUNICORN_CONFIG=bench/gthread.conf.py .venv/bin/python -m bench.slow_clients

Everything else as config/gunicorn.conf.py has it (which cannot be imported here: it
monkey-patches the interpreter for gevent).
"""

import os

from app.infra.logs import logging_config

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 20
graceful_timeout = 20
keepalive = 95
accesslog = "-"
errorlog = "-"
preload_app = True
logconfig_dict = logging_config(os.environ.get("ESCALATOR_LOG_FORMAT", "auto"))
