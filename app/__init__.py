"""escalator: enforce a support team's urgency policy inside Zendesk."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("escalator")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
