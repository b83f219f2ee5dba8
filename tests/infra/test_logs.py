"""app.infra.logs: one line per event, fields as keys, control characters escaped everywhere."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.infra.logs import log_event, make_formatter

HOSTILE = 'x\n{"event": "forged"}\r\x1b[31m\u2028'


@pytest.fixture
def capture():
    """capture(fmt) -> (logger, read): a logger writing through the escalator formatter."""
    loggers = []

    def make(log_format: str):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(make_formatter(log_format))
        logger = logging.getLogger(f"escalator.test.{log_format}.{len(loggers)}")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        loggers.append(logger)
        return logger, stream.getvalue

    return make


def test_an_event_is_one_json_object_with_its_fields_as_keys(capture):
    logger, read = capture("json")
    log_event(logger, "webhook.zendesk.accepted", event_id="e-1", ticket=7001, queue="urgent")
    [line] = read().splitlines()
    record = json.loads(line)
    assert record["event"] == "webhook.zendesk.accepted"
    assert (record["event_id"], record["ticket"], record["queue"]) == ("e-1", 7001, "urgent")
    assert record["level"] == "info" and record["logger"] == logger.name and record["timestamp"].endswith("Z")
    assert "message" not in record  # it would only repeat the fields


def test_a_printf_line_is_its_message_and_nothing_is_read_back_out_of_it(capture):
    logger, read = capture("json")
    logger.info("worker.ticket.noop ticket=%s event=%s urgency=%s: nothing to change", 35436, "e-9", "none")
    record = json.loads(read())
    assert record["event"] == "worker.ticket.noop ticket=35436 event=e-9 urgency=none: nothing to change"
    assert not {"ticket", "event_id", "urgency", "message"} & record.keys()


def test_an_event_can_carry_the_exception_being_handled(capture):
    logger, read = capture("json")
    try:
        raise KeyError("k")
    except KeyError:
        log_event(logger, "scheduler.error", level=logging.ERROR, exc_info=True, scheduler="s-1")
    record = json.loads(read())
    assert (record["event"], record["scheduler"], record["level"]) == ("scheduler.error", "s-1", "error")
    assert "KeyError" in record["exception"]


def test_every_escalator_line_is_written_with_log_event():
    """No printf-style call on escalator's loggers: the formatter no longer reads fields back out."""
    import re
    from pathlib import Path

    call = re.compile(r"\blog\.(debug|info|warning|error|exception|critical|log)\(")
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("app", "workers")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if call.search(line)
    ]
    assert offenders == []


def test_a_line_that_is_not_an_event_keeps_its_message(capture):
    logger, read = capture("json")
    logger.warning("Worker exiting (pid: 12)")
    assert json.loads(read())["event"] == "Worker exiting (pid: 12)"


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_no_value_can_forge_a_line_or_reach_the_terminal(capture, log_format):
    logger, read = capture(log_format)
    log_event(logger, "webhook.zendesk.accepted", event_id=HOSTILE)
    logger.info("worker.ticket.updated ticket=1 event=%s", HOSTILE)
    logger.info(HOSTILE)
    output = read()
    assert len(output.splitlines()) == 3
    assert "\x1b" not in output and "\r" not in output and "\u2028" not in output
    assert "\\n" in output and "\\x1b[31m" in output


def test_exceptions_stay_on_one_json_line(capture):
    logger, read = capture("json")
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        logger.exception("worker.job.failed ticket=1")
    [line] = read().splitlines()
    assert "ValueError" in json.loads(line)["exception"]


def test_the_console_shows_readable_key_value_lines(capture):
    logger, read = capture("console")
    log_event(logger, "webhook.zendesk.accepted", event_id="e-1", ticket=7001)
    line = read()
    assert "webhook.zendesk.accepted" in line and "event_id=e-1" in line and "ticket=7001" in line
    assert not line.lstrip().startswith("{")
