"""Logging: one line per event, a dotted name first, key=value after; no secrets, no customer text.

Set ESCALATOR_LOG_LEVEL (default INFO).
"""

from __future__ import annotations

import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging() -> None:
    # A no-op when the host (gunicorn, pytest) has configured the root logger already.
    logging.basicConfig(format=FORMAT, stream=sys.stderr)
    logging.getLogger("escalator").setLevel(os.environ.get("ESCALATOR_LOG_LEVEL", "INFO").upper())
