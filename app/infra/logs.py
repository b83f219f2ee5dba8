"""Logging: one line per event, JSON when not on a terminal, readable `key=value` lines on one.

Call sites use the standard library's `logging`. An event is a dotted name plus fields:

    log_event(log, "webhook.zendesk.accepted", event_id=..., ticket=..., job_id=...)

which logs the readable message "webhook.zendesk.accepted event_id=... ticket=..." and hands the
fields to the formatter, so a JSON line carries them as keys:

    {"event": "webhook.zendesk.accepted", "event_id": "...", "ticket": 7001, "level": "info",
     "logger": "escalator.webhook", "timestamp": "..."}

Every escalator line is written with `log_event`. A record that was not (gunicorn's, RQ's, a
library's) is logged as its message, with nothing read back out of it. gunicorn's and RQ's records
go through the same formatter (gunicorn via `logging_config()` in config/gunicorn.conf.py), so a
dyno's whole output is one format.

Forged lines are impossible in one place: `escape_control_characters` rewrites every control
character (newline, carriage return, ESC, ...) in every string value as its backslash escape
before any renderer sees it, console and JSON alike. Never log comment text or secrets; log ids.

ESCALATOR_LOG_FORMAT: auto (default; JSON unless standard error is a terminal), json or console.
ESCALATOR_LOG_LEVEL: the level of escalator's own loggers (default INFO). Both are read and
validated by app.infra.settings, which hands them to `configure_logging` / `logging_config`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

LOG_FORMATS = ("auto", "json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LOG_LEVEL = "INFO"

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators some viewers split on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FIELDS_ATTRIBUTE = "escalator_fields"
_EVENT_ATTRIBUTE = "escalator_event"
# Where a request's event waits for gunicorn's access line (gunicorn passes the WSGI environ to it).
ENVIRON_EVENT = "escalator.event"
_ACCESS_ATOM = "{" + ENVIRON_EVENT + "}e"  # gunicorn's name for an environ entry among its log atoms
# Set by `logging_config()`, which only gunicorn uses: its access lines go through our formatter.
_access_lines_carry_events = False


def log_event(
    logger: logging.Logger,
    event: str,
    *,
    level: int = logging.INFO,
    exc_info: bool = False,
    stacklevel: int = 2,
    **fields: Any,
) -> None:
    """Log `event` (a dotted name) with `fields`: keys in JSON, `key=value` words in the message.
    `exc_info=True` adds the exception being handled (as `logger.exception` does)."""
    if not logger.isEnabledFor(level):
        return
    message = event + "".join(f" {key}={value}" for key, value in fields.items())
    extra = {_EVENT_ATTRIBUTE: event, _FIELDS_ATTRIBUTE: fields}
    logger.log(level, "%s", message, exc_info=exc_info, extra=extra, stacklevel=stacklevel)


def log_request_event(
    environ: dict[str, Any], logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """`log_event` for the event a request ends with. Under gunicorn (our logconfig) the fields
    ride on the request's access line instead, so each webhook is one line with its timing
    (status, duration_ms) and costs one write, not two."""
    if _access_lines_carry_events and "gunicorn.socket" in environ:
        if logger.isEnabledFor(level):
            level_name = logging.getLevelName(level).lower()
            environ[ENVIRON_EVENT] = {"event": event, "level": level_name, "logger": logger.name, **fields}
        return
    log_event(logger, event, level=level, stacklevel=3, **fields)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape_control_characters(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Every string value, the event included, on one line and free of terminal escapes."""
    for key, value in event_dict.items():
        if isinstance(value, str) and _CONTROL.search(value):
            event_dict[key] = _CONTROL.sub(_escape, value)
    return event_dict


def event_fields(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A `log_event` record as its dotted name (the message only repeats the fields) and its
    fields as keys; any other record is left as its message."""
    record = event_dict.get("_record")
    name = getattr(record, _EVENT_ATTRIBUTE, None)
    if name is None:
        return event_dict
    for key, value in getattr(record, _FIELDS_ATTRIBUTE, {}).items():
        event_dict.setdefault(key, value)
    event_dict["event"] = name
    return event_dict


def gunicorn_access_fields(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """gunicorn's access record (its `args` are the log atoms) as an `http.request` event, or as
    the event the request ended with (`log_request_event`), with the request's fields added."""
    atoms = event_dict.pop("positional_args", None)
    if event_dict.get("logger") == "gunicorn.access" and isinstance(atoms, dict):
        event_dict.update(
            event="http.request",
            method=atoms.get("m"),
            path=atoms.get("U"),
            status=atoms.get("s"),
            bytes=atoms.get("B"),
            duration_ms=atoms.get("M"),
        )
        request_event = atoms.get(_ACCESS_ATOM)
        if isinstance(request_event, dict):
            event_dict.update(request_event)
    return event_dict


def use_json(log_format: str) -> bool:
    return log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())


def make_formatter(log_format: str = "auto") -> structlog.stdlib.ProcessorFormatter:
    """The formatter every handler uses (also named by gunicorn's logconfig_dict)."""
    json_lines = use_json(log_format)
    pre_chain: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        gunicorn_access_fields,
        event_fields,
    ]
    renderer: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(sort_keys=False)]
        if json_lines
        else [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), repr_native_str=False)]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        pass_foreign_args=True,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            escape_control_characters,
            *renderer,
        ],
    )


def logging_config(log_format: str = "auto", log_level: str = DEFAULT_LOG_LEVEL) -> dict[str, Any]:
    """A `logging.config.dictConfig` for a whole process: gunicorn passes it as `logconfig_dict`.
    `log_format` and `log_level` as Settings validated them (ESCALATOR_LOG_FORMAT, ESCALATOR_LOG_LEVEL)."""
    global _access_lines_carry_events
    _access_lines_carry_events = True
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"escalator": {"()": make_formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "escalator"}
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "escalator": {"level": log_level},
            # gunicorn gives its loggers their own handlers and stops propagation unless told.
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }


def configure_logging(log_format: str = "auto", log_level: str = DEFAULT_LOG_LEVEL) -> None:
    """Send every record through the escalator formatter, unless the host (gunicorn with our
    logconfig_dict, pytest) has configured the root logger already. The arguments as Settings
    validated them."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(make_formatter(log_format))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logging.getLogger("escalator").setLevel(log_level)
