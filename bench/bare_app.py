"""The bare endpoint the intake is measured against: Flask answering 202, nothing else.

Served with the Procfile's own gunicorn settings, by swapping the app target on its web line:

    gunicorn --config config/gunicorn.conf.py 'bench.bare_app:create_app()'
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks/zendesk")
    def accept() -> tuple[str, int]:
        return "", 202

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app
