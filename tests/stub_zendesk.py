"""A stub Zendesk Support API on loopback that behaves as Zendesk documents, for tests that cross
process boundaries (and for in-process tests that want a Zendesk with state).

It serves the calls the worker makes and the ones an agent would make meanwhile, keeps tickets in
memory, records every API request, and can be told to answer the next requests to a path with an
error or to hang. Where Zendesk's documentation says how it behaves, the stub does that, not what
would be convenient:

- `PUT /api/v2/tickets/{id}` (Update Ticket): `tags` replaces the ticket's list ("the set tag
  behavior is used, which overwrites and replaces existing tags"); `additional_tags` and
  `remove_tags`, documented for Update Many only, are ignored, silently, as Zendesk ignores keys
  it does not take. `safe_update` with an `updated_stamp` other than the ticket's `updated_at`
  gets 409 and changes nothing ("A value of false has the same effect as true").
- Custom fields the test defined (`define_field`): a `date` field refuses anything but
  `YYYY-MM-DD` with a 422 naming the field (`details.base[].ticket_field_id`, the shape public
  clients record) and the whole update is refused; a dropdown (`tagger`) drops an unknown option
  value without an error, and its value is one of the ticket's tags (setting it replaces the
  previous option's tag; a `tags` list that drops an option's tag clears the field).
- The Tags endpoints (`/api/v2/tickets/{id}/tags`): GET lists, PUT adds, POST replaces, DELETE
  removes (`?tags=a,b`); each takes `safe_update`/`updated_stamp` in the body as the Add Tags
  description shows, and answers 409 on a stale stamp.
- `GET /api/v2/tickets/{id}/conversation_log`: messaging messages (`seed_message`), newest first
  with `sort=-created_at`.
- Update Ticket's per-ticket limit: 30 updates per ticket in any 10 minutes, then 429 with
  `Retry-After`; every answer carries `Zendesk-RateLimit-tickets-update`.
- Every request is checked against Zendesk's OpenAPI file with undeclared properties as errors
  (`tests.openapi.request_violations`); what it finds is kept on the request's record and in
  `violations()`, for the test to assert on (Zendesk itself would say nothing).

In-process:

    with StubZendesk() as zendesk:            # or zendesk = StubZendesk().start() ... .stop()
        zendesk.seed_ticket({"id": 35436, "priority": "normal", "tags": ["enterprise"]})
        zendesk.script("/api/v2/tickets/35436", status=429, retry_after=2, method="PUT")
        ... point ZENDESK_BASE_URL at zendesk.url ...
        zendesk.requests(method="PUT")         # [{"method", "path", "query", "body", "status", "violations"}]

As a process: `python tests/stub_zendesk.py --port 0` prints `listening on http://127.0.0.1:<port>`
on its first line; drive it over HTTP:

    GET  /_stub/requests                  {"requests": [...]} every API request so far, in order
    POST /_stub/reset                     forget requests, scripts, tickets, comments, fields
    POST /_stub/script                    {"path": "/api/v2/tickets/1", "method": "PUT",
                                           "status": 429|409|500|..., "retry_after": 2,
                                           "hang": 5.0, "hang_after": 5.0, "times": 1}
                                          the next `times` matching requests get `status` (with
                                          Retry-After for 429), or wait `hang` seconds first and
                                          then are answered normally (as a slow Zendesk would),
                                          or are applied and answered `hang_after` seconds later
                                          (Zendesk did the work; the answer is late, or lost)
    POST /_stub/outage                    {"status": 503} every API request gets it until
                                          {"status": null} (a Zendesk that is down)
    POST /_stub/tickets                   {"ticket": {...}} add or replace a ticket
    POST /_stub/comments                  {"ticket_id": 1, "comment": {...}, "author": {...}}
    POST /_stub/fields                    {"id": 103, "type": "date"|"tagger"|"text"|"checkbox",
                                           "options": ["p1", ...]}
    POST /_stub/messages                  {"ticket_id": 1, "id": "<24 hex>", "text": "...",
                                           "author_type": "user"}
    GET  /_stub/tickets/<id>              the ticket as it is now, with its comments

Unknown tickets spring into existence (empty, priority null) the first time they are read or
updated, so a test only seeds what it cares about.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

if __package__ in (None, ""):  # run as a script: make `tests.openapi` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.openapi import request_violations

INTEGRATION_USER_ID = 900001
CREATED_AT = "2026-11-27T15:00:00Z"
# Update Ticket's documented limit: per ticket (and user), 30 updates in 10 minutes.
TICKET_UPDATES_PER_WINDOW = 30
TICKET_UPDATE_WINDOW_SECONDS = 600

TICKET_PATH = re.compile(r"^/api/v2/tickets/(\d+)(?:\.json)?$")
COMMENTS_PATH = re.compile(r"^/api/v2/tickets/(\d+)/comments(?:\.json)?$")
TAGS_PATH = re.compile(r"^/api/v2/tickets/(\d+)/tags(?:\.json)?$")
CONVERSATION_LOG_PATH = re.compile(r"^/api/v2/tickets/(\d+)/conversation_log(?:\.json)?$")
STUB_TICKET_PATH = re.compile(r"^/_stub/tickets/(\d+)$")
DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

CONFLICT = {"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data."}


class StubZendesk:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, integration_user_id: int = INTEGRATION_USER_ID):
        self.integration_user_id = integration_user_id
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._scripts: list[dict] = []
        self._tickets: dict[int, dict] = {}
        self._comments: dict[int, list[dict]] = {}
        self._messages: dict[int, list[dict]] = {}
        self._fields: dict[int, dict] = {}
        self._updates: dict[int, list[float]] = {}
        self._outage: int | None = None
        self._users: dict[int, dict] = {
            integration_user_id: {"id": integration_user_id, "name": "Escalator", "role": "admin"}
        }
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubZendesk:
        _load_openapi_file()
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-zendesk", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubZendesk:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- driving the stub ------------------------------------------------------------------

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        with self._lock:
            return [
                dict(r)
                for r in self._requests
                if (method is None or r["method"] == method) and (path is None or r["path"] == path)
            ]

    def violations(self) -> list[str]:
        """What the OpenAPI file does not declare in the requests so far ([] when all is declared)."""
        with self._lock:
            return [problem for r in self._requests for problem in r["violations"]]

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._scripts.clear()
            self._outage = None
            self._tickets.clear()
            self._comments.clear()
            self._messages.clear()
            self._fields.clear()
            self._updates.clear()

    def script(
        self,
        path: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        hang: float | None = None,
        hang_after: float | None = None,
        method: str | None = None,
    ) -> None:
        if status is None and hang is None and hang_after is None:
            raise ValueError("script needs a status, a hang or a hang_after")
        with self._lock:
            self._scripts.append(
                {
                    "path": path,
                    "method": method,
                    "status": status,
                    "times": times,
                    "retry_after": retry_after,
                    "hang": hang,
                    "hang_after": hang_after,
                }
            )

    def outage(self, status: int | None) -> None:
        """Answer every API request with `status` (503: Zendesk is down) until `outage(None)`."""
        with self._lock:
            self._outage = status

    def seed_ticket(self, ticket: dict) -> dict:
        with self._lock:
            stored = _new_ticket(int(ticket["id"]))
            stored.update(ticket)
            self._tickets[stored["id"]] = stored
            return dict(stored)

    def seed_comment(self, ticket_id: int, comment: dict, author: dict) -> None:
        with self._lock:
            self._users[int(author["id"])] = author
            stored = {
                "type": "Comment",
                "public": True,
                "created_at": CREATED_AT,
                "html_body": "",
                "author_id": author["id"],
                **comment,
            }
            self._comments.setdefault(int(ticket_id), []).append(stored)

    def define_field(self, field_id: int, field_type: str, options: list[str] | None = None) -> None:
        """A custom ticket field: "text", "date", "checkbox" or "tagger" (a dropdown of `options`)."""
        with self._lock:
            self._fields[int(field_id)] = {"type": field_type, "options": list(options or [])}

    def seed_message(self, ticket_id: int, message_id: str, text: str, author_type: str = "user") -> None:
        """A messaging message in the ticket's conversation log, as the OpenAPI file's example shows."""
        with self._lock:
            messages = self._messages.setdefault(int(ticket_id), [])
            messages.append(
                {
                    "id": f"02JSED093DTX4RTDRRJX{len(messages):06d}",
                    "type": "Messaging::ConversationMessage",
                    "reference": f"zen:sunco:conversation_message:{message_id}",
                    "author": {"type": author_type, "zen:sunco:user_id": "6a4f5df5dae152f024959a1a"},
                    "content": {"type": "text", "text": text},
                    "created_at": _later(CREATED_AT, len(messages)),
                }
            )

    def ticket(self, ticket_id: int) -> dict:
        with self._lock:
            ticket = dict(self._ticket(ticket_id))
            ticket["comments"] = [dict(c) for c in self._comments.get(ticket_id, [])]
            return ticket

    # -- answering ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        """(status, headers, JSON body) for one API request. Called on the server's threads."""
        record = {
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "status": None,
            "violations": request_violations(method, path, query, body),
        }
        with self._lock:
            self._requests.append(record)
            if self._outage:
                record["status"] = self._outage
                return self._outage, {}, {"error": "ServiceUnavailable", "description": "stub outage"}
            scripted = self._next_script(method, path)
        if scripted and scripted["hang"]:
            time.sleep(scripted["hang"])
        if scripted and scripted["status"]:
            status, headers, payload = _scripted_answer(scripted)
        else:
            with self._lock:
                status, headers, payload = self._answer(method, path, query, body)
        with self._lock:
            record["status"] = status
        if scripted and scripted["hang_after"]:
            time.sleep(scripted["hang_after"])
        return status, headers, payload

    def _next_script(self, method: str, path: str) -> dict | None:
        for scripted in self._scripts:
            if scripted["path"] == path and scripted["method"] in (None, method):
                scripted["times"] -= 1
                if scripted["times"] <= 0:
                    self._scripts.remove(scripted)
                return scripted
        return None

    def _answer(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        if method == "GET" and path in ("/api/v2/users/me", "/api/v2/users/me.json"):
            return 200, {}, {"user": self._users[self.integration_user_id]}
        match = TICKET_PATH.match(path)
        if match and method == "GET":
            return 200, {}, {"ticket": self._ticket(int(match[1]))}
        if match and method == "PUT":
            return self._update_limited(int(match[1]), body)
        match = COMMENTS_PATH.match(path)
        if match and method == "GET":
            return 200, {}, self._comment_page(int(match[1]), query)
        match = TAGS_PATH.match(path)
        if match:
            return self._tags(method, int(match[1]), query, body)
        match = CONVERSATION_LOG_PATH.match(path)
        if match and method == "GET":
            records = list(self._messages.get(int(match[1]), []))
            if query.get("sort") == "-created_at":
                records.reverse()
            size = int(query.get("page[size]", 100))
            return 200, {}, {"events": records[:size], "links": {}, "meta": {"has_more": len(records) > size}}
        return 404, {}, {"error": "InvalidEndpoint", "description": "Not found"}

    def _ticket(self, ticket_id: int) -> dict:
        return self._tickets.setdefault(ticket_id, _new_ticket(ticket_id))

    def _update_limited(self, ticket_id: int, body) -> tuple[int, dict, dict]:
        now = time.monotonic()
        recent = [t for t in self._updates.get(ticket_id, []) if now - t < TICKET_UPDATE_WINDOW_SECONDS]
        self._updates[ticket_id] = recent
        if len(recent) >= TICKET_UPDATES_PER_WINDOW:
            resets = int(recent[0] + TICKET_UPDATE_WINDOW_SECONDS - now) + 1
            headers = {"Retry-After": str(resets), "Zendesk-RateLimit-tickets-update": _limit_header(0, resets)}
            return 429, headers, {"error": "TooManyRequests"}
        recent.append(now)
        status, headers, payload = self._update(ticket_id, body)
        remaining = TICKET_UPDATES_PER_WINDOW - len(recent)
        resets = int(recent[0] + TICKET_UPDATE_WINDOW_SECONDS - now)
        return status, {**headers, "Zendesk-RateLimit-tickets-update": _limit_header(remaining, resets)}, payload

    def _update(self, ticket_id: int, body) -> tuple[int, dict, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return 400, {}, {"error": "InvalidBody"}
        changes = body["ticket"]
        ticket = self._ticket(ticket_id)
        if _is_stale(changes, ticket):
            return 409, {}, CONFLICT
        refused = self._refused_fields(changes.get("custom_fields") or [])
        if refused:
            return 422, {}, {"error": "RecordInvalid", "description": "Record validation errors", "details": refused}
        for key in ("priority", "status", "subject"):
            if key in changes:
                ticket[key] = changes[key]
        if "tags" in changes:  # the set behaviour: the list is replaced
            self._set_tags(ticket, _tag_list(changes["tags"]))
        # additional_tags / remove_tags: Update Many's, not Update Ticket's; ignored, as by Zendesk.
        for field in changes.get("custom_fields") or []:
            self._set_field(ticket, int(field["id"]), field.get("value"))
        if "comment" in changes:
            comments = self._comments.setdefault(ticket_id, [])
            comments.append(
                {
                    "id": 50000000000 + len(comments),
                    "type": "Comment",
                    "author_id": self.integration_user_id,
                    "body": changes["comment"].get("body", ""),
                    "html_body": "",
                    "public": changes["comment"].get("public", True),
                    "created_at": ticket["updated_at"],
                }
            )
        ticket["updated_at"] = _later(ticket["updated_at"])
        return 200, {}, {"ticket": dict(ticket), "audit": {"events": []}}

    def _refused_fields(self, fields: list[dict]) -> dict:
        base = []
        for field in fields:
            definition = self._fields.get(int(field["id"]))
            value = field.get("value")
            if definition and definition["type"] == "date" and value and not DATE_VALUE.match(str(value)):
                base.append(
                    {
                        "description": f"Field {field['id']} is not valid",
                        "error": "InvalidValue",
                        "ticket_field_id": int(field["id"]),
                        "ticket_field_type": "FieldDate",
                    }
                )
        return {"base": base} if base else {}

    def _set_field(self, ticket: dict, field_id: int, value) -> None:
        definition = self._fields.get(field_id, {"type": "text", "options": []})
        fields = {f["id"]: f for f in ticket["custom_fields"]}
        if definition["type"] == "tagger":
            if value not in definition["options"] and value not in (None, ""):
                return  # an unknown option: dropped without an error
            ticket["tags"] = [t for t in ticket["tags"] if t not in definition["options"]]
            if value:
                ticket["tags"].append(value)
        fields[field_id] = {"id": field_id, "value": value}
        ticket["custom_fields"] = list(fields.values())

    def _set_tags(self, ticket: dict, tags: list[str]) -> None:
        ticket["tags"] = list(dict.fromkeys(tags))
        for field in ticket["custom_fields"]:  # a dropdown whose tag went is cleared
            definition = self._fields.get(field["id"])
            if definition and definition["type"] == "tagger" and field["value"] not in ticket["tags"]:
                field["value"] = None

    def _tags(self, method: str, ticket_id: int, query: dict, body) -> tuple[int, dict, dict]:
        ticket = self._ticket(ticket_id)
        if method == "GET":
            return 200, {}, {"tags": list(ticket["tags"])}
        body = body if isinstance(body, dict) else {}
        if _is_stale(body, ticket):
            return 409, {}, CONFLICT
        if method == "PUT":
            self._set_tags(ticket, ticket["tags"] + _tag_list(body.get("tags", [])))
        elif method == "POST":
            self._set_tags(ticket, _tag_list(body.get("tags", [])))
        elif method == "DELETE":
            gone = set(_tag_list(query.get("tags", "").split(","))) | set(_tag_list(body.get("tags", [])))
            self._set_tags(ticket, [t for t in ticket["tags"] if t not in gone])
        else:
            return 404, {}, {"error": "InvalidEndpoint"}
        ticket["updated_at"] = _later(ticket["updated_at"])
        return (201 if method == "POST" else 200), {}, {"tags": list(ticket["tags"])}

    def _comment_page(self, ticket_id: int, query: dict) -> dict:
        comments = list(self._comments.get(ticket_id, []))
        if query.get("sort_order") == "desc":
            comments.reverse()
        per_page = int(query.get("per_page", 100))
        page, rest = comments[:per_page], comments[per_page:]
        users = []
        if query.get("include") == "users":
            author_ids = {c["author_id"] for c in page}
            users = [u for i, u in self._users.items() if i in author_ids]
        return {
            "comments": page,
            "users": users,
            "count": len(comments),
            "next_page": "stub://next" if rest else None,
            "previous_page": None,
        }


def _load_openapi_file() -> None:
    """Parse the OpenAPI file (seconds) before the first request, not while a client waits on it."""
    request_violations("GET", "/api/v2/users/me", {}, None)


def _new_ticket(ticket_id: int) -> dict:
    return {
        "id": ticket_id,
        "subject": "",
        "description": "",
        "priority": None,
        "status": "open",
        "tags": [],
        "custom_fields": [],
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
    }


def _is_stale(changes: dict, ticket: dict) -> bool:
    """Zendesk's safe update: with `safe_update` (any value) and an `updated_stamp`, a stamp other
    than the ticket's `updated_at` refuses the write."""
    return "safe_update" in changes and "updated_stamp" in changes and changes["updated_stamp"] != ticket["updated_at"]


def _tag_list(tags) -> list[str]:
    """`tags` as Zendesk takes it: a list, or one string of space-separated tags."""
    if isinstance(tags, str):
        tags = tags.split()
    return [str(t).strip() for t in tags if str(t).strip()]


def _limit_header(remaining: int, resets: int) -> str:
    return f"total={TICKET_UPDATES_PER_WINDOW}; remaining={remaining}; resets={max(resets, 0)}"


def _later(stamp: str, seconds: int = 1) -> str:
    """A new updated_at: now, or `seconds` after the old one if the clock has not moved on."""
    old = datetime.fromisoformat(stamp)
    new = max(datetime.now(UTC).replace(microsecond=0), old + timedelta(seconds=seconds))
    return new.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scripted_answer(scripted: dict) -> tuple[int, dict, dict]:
    status = scripted["status"]
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(scripted["retry_after"] if scripted["retry_after"] is not None else 1)
        return status, headers, {"error": "TooManyRequests"}
    if status == 409:
        return status, headers, CONFLICT
    return status, headers, {"error": "Scripted", "description": f"scripted {status}"}


def _handler_for(stub: StubZendesk):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if url.path.startswith("/_stub/"):
                status, headers, payload = _control(stub, method, url.path, body)
            else:
                status, headers, payload = stub.handle(method, url.path, query, body)
            self._send(status, headers, payload)

        def _send(self, status: int, headers: dict, payload: dict) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a scripted hang outlasted its read timeout)

    return Handler


def _control(stub: StubZendesk, method: str, path: str, body) -> tuple[int, dict, dict]:
    body = body if isinstance(body, dict) else {}
    if method == "GET" and path == "/_stub/requests":
        return 200, {}, {"requests": stub.requests()}
    if method == "POST" and path == "/_stub/reset":
        stub.reset()
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/script":
        try:
            stub.script(
                body["path"],
                status=body.get("status"),
                times=int(body.get("times", 1)),
                retry_after=body.get("retry_after"),
                hang=body.get("hang"),
                hang_after=body.get("hang_after"),
                method=body.get("method"),
            )
        except (KeyError, ValueError) as e:
            return 400, {}, {"error": f"bad script: {e}"}
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/outage":
        stub.outage(body.get("status"))
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/tickets":
        return 200, {}, {"ticket": stub.seed_ticket(body["ticket"])}
    if method == "POST" and path == "/_stub/comments":
        stub.seed_comment(int(body["ticket_id"]), body["comment"], body["author"])
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/fields":
        stub.define_field(int(body["id"]), body["type"], body.get("options"))
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/messages":
        stub.seed_message(int(body["ticket_id"]), body["id"], body["text"], body.get("author_type", "user"))
        return 200, {}, {"ok": True}
    match = STUB_TICKET_PATH.match(path)
    if method == "GET" and match:
        return 200, {}, {"ticket": stub.ticket(int(match[1]))}
    return 404, {}, {"error": "unknown stub control path"}


def main() -> None:
    parser = argparse.ArgumentParser(description="Stub Zendesk API for escalator's tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--integration-user-id", type=int, default=INTEGRATION_USER_ID)
    args = parser.parse_args()
    stub = StubZendesk(args.host, args.port, args.integration_user_id)
    _load_openapi_file()
    print(f"listening on {stub.url}", flush=True)
    try:
        stub._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stub._server.server_close()


if __name__ == "__main__":
    main()
