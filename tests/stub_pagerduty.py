"""A stub PagerDuty Events API v2 (and Slack incoming webhook) on loopback, for tests that cross
process boundaries.

As strict as PagerDuty's documentation (developer-docs `events-API-v2/02-Trigger-Events.md` and
`01-Overview.md`): `POST /v2/enqueue` with `Content-Type: application/json`, at most 512 KB;
`routing_key` the 32-character integration key; `event_action` one of trigger, acknowledge,
resolve; `dedup_key` at most 255 characters, required for acknowledge and resolve; a trigger's
`payload.summary` (at most 1024 characters), `payload.source` and `payload.severity` (critical,
error, warning, info) required; `links[].href` and `images[].src` (https) required. Stricter than
PagerDuty on one point, on purpose: a field the documentation does not list is refused, so the
client cannot come to depend on an undocumented one. Invalid events get 400 with PagerDuty's
error shape; valid ones 202 with the dedup key.

Alerts are kept as PagerDuty documents them: a trigger opens an alert or joins the open one with
its dedup key; acknowledge and resolve apply to an open alert with the same routing key and are
otherwise dropped (still 202); a trigger after a resolve opens a new alert.

Slack: `POST /services/<team>/<bot>/<secret>` with a JSON body carrying a non-empty `text`
answers 200 `ok` (plain text); anything else 400 `invalid_payload` / `no_text`.

In-process:

    with StubPagerDuty() as pd:                 # or pd = StubPagerDuty().start() ... .stop()
        pd.script(status=429, retry_after=2)    # the next enqueue gets a 429
        ... PAGERDUTY_EVENTS_URL=pd.events_url, SLACK_WEBHOOK_URL=pd.slack_url ...
        pd.events()                              # every enqueue request: {"body", "status"}
        pd.alerts()                              # {"<dedup key>": {"status", "triggers", ...}}
        pd.slack_messages()                      # ["text", ...]

As a process: `python tests/stub_pagerduty.py --port 0` prints `listening on http://127.0.0.1:<port>`
on its first line; drive it over HTTP: `GET /_stub/events`, `GET /_stub/alerts`,
`GET /_stub/slack`, `POST /_stub/reset`, `POST /_stub/script` (`{"status": 429|500|...,
"retry_after": 2, "hang": 5.0, "times": 1, "target": "pagerduty"|"slack"}`).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

ENQUEUE_PATH = "/v2/enqueue"
SLACK_PATH = re.compile(r"^/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+$")
SLACK_WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
MAX_BODY_BYTES = 512 * 1024
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
TOP_LEVEL = {"routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"}
PAYLOAD = {"summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"}
OPEN = ("triggered", "acknowledged")


class StubPagerDuty:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, routing_keys: set[str] | None = None):
        """`routing_keys`: the integration keys that exist (None: any 32-character key)."""
        self.routing_keys = routing_keys
        self._lock = threading.Lock()
        self._events: list[dict] = []
        self._alerts: dict[tuple[str, str], dict] = {}
        self._slack: list[dict] = []
        self._scripts: list[dict] = []
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def events_url(self) -> str:
        return self.url + ENQUEUE_PATH

    @property
    def slack_url(self) -> str:
        return self.url + SLACK_WEBHOOK_PATH

    def start(self) -> StubPagerDuty:
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-pagerduty", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubPagerDuty:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- driving the stub ------------------------------------------------------------------

    def events(self, action: str | None = None, dedup_key: str | None = None) -> list[dict]:
        """Every enqueue request so far, in order: {"body", "status", "errors"}."""
        with self._lock:
            return [
                json.loads(json.dumps(e))
                for e in self._events
                if (action is None or _get(e["body"], "event_action") == action)
                and (dedup_key is None or _get(e["body"], "dedup_key") == dedup_key)
            ]

    def alerts(self) -> dict[str, dict]:
        """Alerts by dedup key (the latest alert per key): status and how many events of each kind."""
        with self._lock:
            return {key: dict(alert) for (_routing, key), alert in self._alerts.items()}

    def slack_messages(self) -> list[str]:
        with self._lock:
            return [m["body"]["text"] for m in self._slack if m["status"] == 200]

    def slack_requests(self) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self._slack]

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self._alerts.clear()
            self._slack.clear()
            self._scripts.clear()

    def script(
        self,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        hang: float | None = None,
        target: str = "pagerduty",
    ) -> None:
        """The next `times` requests to `target` get `status` (429 with `retry_after` when
        given), or wait `hang` seconds first and are then answered normally."""
        if status is None and hang is None:
            raise ValueError("script needs a status or a hang")
        if target not in ("pagerduty", "slack"):
            raise ValueError("target is pagerduty or slack")
        with self._lock:
            self._scripts.append(
                {"status": status, "times": times, "retry_after": retry_after, "hang": hang, "target": target}
            )

    # -- answering ---------------------------------------------------------------------------

    def handle(self, path: str, content_type: str, raw: bytes) -> tuple[int, dict, bytes, str]:
        """(status, headers, body, content type) for one request. Called on the server's threads."""
        target = "pagerduty" if path == ENQUEUE_PATH else "slack" if SLACK_PATH.match(path) else None
        if target is None:
            return 404, {}, b'{"status": "not found"}', "application/json"
        with self._lock:
            scripted = self._next_script(target)
        if scripted and scripted["hang"]:
            time.sleep(scripted["hang"])
        if target == "slack":
            return self._slack_answer(content_type, raw, scripted)
        return self._enqueue_answer(content_type, raw, scripted)

    def _next_script(self, target: str) -> dict | None:
        for scripted in self._scripts:
            if scripted["target"] == target:
                scripted["times"] -= 1
                if scripted["times"] <= 0:
                    self._scripts.remove(scripted)
                return scripted
        return None

    def _enqueue_answer(self, content_type: str, raw: bytes, scripted: dict | None) -> tuple[int, dict, bytes, str]:
        body, errors = _parse(content_type, raw)
        record: dict[str, Any] = {"body": body, "status": None, "errors": []}
        with self._lock:
            self._events.append(record)
        if scripted and scripted["status"]:
            status = scripted["status"]
            headers = {"Retry-After": str(scripted["retry_after"])} if scripted["retry_after"] is not None else {}
            answer = {"status": "throttle event", "message": "Requests for this service are arriving too quickly."}
            if status != 429:
                answer = {"status": "Server error", "message": f"scripted {status}", "errors": []}
            return self._finish(record, status, answer, headers)
        if not errors:
            errors = validate_event(body, self.routing_keys)
        if errors:
            record["errors"] = errors
            invalid = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
            return self._finish(record, 400, invalid)
        with self._lock:
            key = self._apply(body)
        return self._finish(record, 202, {"status": "success", "message": "Event processed", "dedup_key": key})

    def _finish(
        self, record: dict, status: int, answer: dict, headers: dict | None = None
    ) -> tuple[int, dict, bytes, str]:
        with self._lock:
            record["status"] = status
        return status, headers or {}, json.dumps(answer).encode(), "application/json"

    def _apply(self, event: dict) -> str:
        action, routing = event["event_action"], event["routing_key"]
        key = event.get("dedup_key") or str(uuid.uuid4())
        alert = self._alerts.get((routing, key))
        is_open = alert is not None and alert["status"] in OPEN
        if action == "trigger":
            if not is_open:
                alert = {"status": "triggered", "summary": event["payload"]["summary"], "events": []}
                self._alerts[(routing, key)] = alert
            assert alert is not None
            alert["events"].append("trigger")
        elif is_open:  # acknowledge or resolve an open alert; otherwise PagerDuty drops it
            assert alert is not None
            alert["events"].append(action)
            alert["status"] = "acknowledged" if action == "acknowledge" else "resolved"
        return key

    def _slack_answer(self, content_type: str, raw: bytes, scripted: dict | None) -> tuple[int, dict, bytes, str]:
        body, errors = _parse(content_type, raw)
        record: dict[str, Any] = {"body": body, "status": None}
        with self._lock:
            self._slack.append(record)
        if scripted and scripted["status"]:
            status = scripted["status"]
            headers = {"Retry-After": str(scripted["retry_after"] or 1)} if status == 429 else {}
            code = b"rate_limited" if status == 429 else b"rollup_error"
        elif errors:
            status, headers, code = 400, {}, b"invalid_payload"
        elif not isinstance(body.get("text"), str) or not body["text"].strip():
            status, headers, code = 400, {}, b"no_text"
        else:
            status, headers, code = 200, {}, b"ok"
        with self._lock:
            record["status"] = status
        return status, headers, code, "text/plain"


def validate_event(body: Any, routing_keys: set[str] | None = None) -> list[str]:
    """What PagerDuty would refuse in `body`, one message per problem; [] when valid."""
    if not isinstance(body, dict):
        return ["Event object must be a JSON object"]
    errors = [f"Unknown field '{k}'" for k in sorted(set(body) - TOP_LEVEL)]
    routing = body.get("routing_key")
    if not isinstance(routing, str) or len(routing) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    elif routing_keys is not None and routing not in routing_keys:
        errors.append("Invalid routing key")
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    key = body.get("dedup_key")
    if key is not None and (not isinstance(key, str) or not key or len(key) > 255):
        errors.append("'dedup_key' must be a string of 1 to 255 characters")
    if action in ("acknowledge", "resolve"):
        if key is None:
            errors.append(f"'dedup_key' is required for {action}")
        errors += [f"'{k}' is only used for trigger events" for k in ("payload", "links", "images") if k in body]
    if action == "trigger":
        errors += _payload_errors(body.get("payload"))
        errors += _link_errors(body.get("links"), "links", "href")
        errors += _link_errors(body.get("images"), "images", "src")
    for name in ("client", "client_url"):
        if name in body and not isinstance(body[name], str):
            errors.append(f"'{name}' must be a string")
    return errors


def _payload_errors(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is required for trigger events"]
    errors = [f"Unknown field 'payload.{k}'" for k in sorted(set(payload) - PAYLOAD)]
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is required")
    elif len(summary) > 1024:
        errors.append("'payload.summary' is longer than 1024 characters")
    if not isinstance(payload.get("source"), str) or not payload["source"].strip():
        errors.append("'payload.source' is required")
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' must be one of critical, error, warning, info")
    if "timestamp" in payload and not _is_iso_time(payload["timestamp"]):
        errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
    for name in ("component", "group", "class"):
        if name in payload and not isinstance(payload[name], str):
            errors.append(f"'payload.{name}' must be a string")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        errors.append("'payload.custom_details' must be an object")
    return errors


def _link_errors(items: Any, name: str, required: str) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return [f"'{name}' must be a list of objects"]
    errors = []
    for item in items:
        url = item.get(required)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors.append(f"'{name}[].{required}' is required and must be a URL")
        elif name == "images" and not url.startswith("https://"):
            errors.append("'images[].src' must be served via HTTPS")
        extra = set(item) - ({"href", "text"} if name == "links" else {"src", "href", "alt"})
        errors += [f"Unknown field '{name}[].{k}'" for k in sorted(extra)]
    return errors


def _is_iso_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _parse(content_type: str, raw: bytes) -> tuple[Any, list[str]]:
    if content_type.split(";")[0].strip().lower() != "application/json":
        return raw.decode("utf-8", "replace"), ["Content-Type must be application/json"]
    if len(raw) > MAX_BODY_BYTES:
        return None, ["Event payload is larger than 512 KB"]
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode("utf-8", "replace"), ["JSON parse error"]


def _get(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def _handler_for(stub: StubPagerDuty):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path.startswith("/_stub/"):
                status, payload = _control(stub, method, path, raw)
                self._send(status, {}, json.dumps(payload).encode(), "application/json")
            elif method == "POST":
                self._send(*stub.handle(path, self.headers.get("Content-Type", ""), raw))
            else:
                self._send(405, {}, b'{"status": "method not allowed"}', "application/json")

        def _send(self, status: int, headers: dict, data: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a scripted hang outlasted its read timeout)

    return Handler


def _control(stub: StubPagerDuty, method: str, path: str, raw: bytes) -> tuple[int, dict]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    if method == "GET" and path == "/_stub/events":
        return 200, {"events": stub.events()}
    if method == "GET" and path == "/_stub/alerts":
        return 200, {"alerts": stub.alerts()}
    if method == "GET" and path == "/_stub/slack":
        return 200, {"messages": stub.slack_messages(), "requests": stub.slack_requests()}
    if method == "POST" and path == "/_stub/reset":
        stub.reset()
        return 200, {"ok": True}
    if method == "POST" and path == "/_stub/script":
        try:
            stub.script(
                status=body.get("status"),
                times=int(body.get("times", 1)),
                retry_after=body.get("retry_after"),
                hang=body.get("hang"),
                target=body.get("target", "pagerduty"),
            )
        except (TypeError, ValueError) as e:
            return 400, {"error": f"bad script: {e}"}
        return 200, {"ok": True}
    return 404, {"error": "unknown stub control"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    stub = StubPagerDuty(args.host, args.port)
    print(f"listening on {stub.url}", flush=True)
    try:
        stub._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stub._server.server_close()


if __name__ == "__main__":
    main()
