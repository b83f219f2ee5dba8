"""A stub Zendesk Support API on loopback, for tests that cross process boundaries.

Serves the four calls the worker makes, keeps tickets in memory with Zendesk's safe-update rule
(a stale `updated_stamp` gets 409), records every API request, and can be told to answer the
next requests to a path with an error or to hang.

In-process:

    with StubZendesk() as zendesk:            # or zendesk = StubZendesk().start() ... .stop()
        zendesk.seed_ticket({"id": 35436, "priority": "normal", "tags": ["enterprise"]})
        zendesk.script("/api/v2/tickets/35436", status=429, retry_after=2, method="PUT")
        ... point ZENDESK_BASE_URL at zendesk.url ...
        zendesk.requests(method="PUT")         # [{"method", "path", "query", "body", "status"}]

As a process: `python tests/stub_zendesk.py --port 0` prints `listening on http://127.0.0.1:<port>`
on its first line; drive it over HTTP:

    GET  /_stub/requests                  {"requests": [...]} every API request so far, in order
    POST /_stub/reset                     forget requests, scripts, tickets and comments
    POST /_stub/script                    {"path": "/api/v2/tickets/1", "method": "PUT",
                                           "status": 429|409|500|..., "retry_after": 2,
                                           "hang": 5.0, "times": 1}
                                          the next `times` matching requests get `status` (with
                                          Retry-After for 429), or wait `hang` seconds first and
                                          then are answered normally (as a slow Zendesk would)
    POST /_stub/tickets                   {"ticket": {...}} add or replace a ticket
    POST /_stub/comments                  {"ticket_id": 1, "comment": {...}, "author": {...}}
    GET  /_stub/tickets/<id>              the ticket as it is now, with its comments

Unknown tickets spring into existence (empty, priority null) the first time they are read or
updated, so a test only seeds what it cares about.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INTEGRATION_USER_ID = 900001
CREATED_AT = "2026-11-27T15:00:00Z"

TICKET_PATH = re.compile(r"^/api/v2/tickets/(\d+)(?:\.json)?$")
COMMENTS_PATH = re.compile(r"^/api/v2/tickets/(\d+)/comments(?:\.json)?$")
STUB_TICKET_PATH = re.compile(r"^/_stub/tickets/(\d+)$")


class StubZendesk:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, integration_user_id: int = INTEGRATION_USER_ID):
        self.integration_user_id = integration_user_id
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._scripts: list[dict] = []
        self._tickets: dict[int, dict] = {}
        self._comments: dict[int, list[dict]] = {}
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

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._scripts.clear()
            self._tickets.clear()
            self._comments.clear()

    def script(
        self,
        path: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        hang: float | None = None,
        method: str | None = None,
    ) -> None:
        if status is None and hang is None:
            raise ValueError("script needs a status or a hang")
        with self._lock:
            self._scripts.append(
                {
                    "path": path,
                    "method": method,
                    "status": status,
                    "times": times,
                    "retry_after": retry_after,
                    "hang": hang,
                }
            )

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

    def ticket(self, ticket_id: int) -> dict:
        with self._lock:
            ticket = dict(self._ticket(ticket_id))
            ticket["comments"] = [dict(c) for c in self._comments.get(ticket_id, [])]
            return ticket

    # -- answering ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        """(status, headers, JSON body) for one API request. Called on the server's threads."""
        record = {"method": method, "path": path, "query": query, "body": body, "status": None}
        with self._lock:
            self._requests.append(record)
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
            return self._update(int(match[1]), body)
        match = COMMENTS_PATH.match(path)
        if match and method == "GET":
            return 200, {}, self._comment_page(int(match[1]), query)
        return 404, {}, {"error": "InvalidEndpoint", "description": "Not found"}

    def _ticket(self, ticket_id: int) -> dict:
        return self._tickets.setdefault(ticket_id, _new_ticket(ticket_id))

    def _update(self, ticket_id: int, body) -> tuple[int, dict, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return 400, {}, {"error": "InvalidBody"}
        changes = body["ticket"]
        ticket = self._ticket(ticket_id)
        if "safe_update" in changes and changes.get("updated_stamp") != ticket["updated_at"]:
            return (
                409,
                {},
                {
                    "error": "UpdateConflict",
                    "description": "Safe Update prevented the update due to outdated ticket data.",
                },
            )
        for key in ("priority", "status", "subject"):
            if key in changes:
                ticket[key] = changes[key]
        if "tags" in changes:
            ticket["tags"] = list(changes["tags"])
        ticket["tags"] += [t for t in changes.get("additional_tags", []) if t not in ticket["tags"]]
        ticket["tags"] = [t for t in ticket["tags"] if t not in changes.get("remove_tags", [])]
        fields = {f["id"]: f for f in ticket["custom_fields"]}
        for field in changes.get("custom_fields", []):
            fields[field["id"]] = {"id": field["id"], "value": field.get("value")}
        ticket["custom_fields"] = list(fields.values())
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
        return 200, {}, {"ticket": ticket, "audit": {"events": []}}

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


def _later(stamp: str) -> str:
    """A new updated_at: now, or one second after the old one if the clock has not moved on."""
    old = datetime.fromisoformat(stamp)
    new = max(datetime.now(UTC).replace(microsecond=0), old + timedelta(seconds=1))
    return new.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scripted_answer(scripted: dict) -> tuple[int, dict, dict]:
    status = scripted["status"]
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(scripted["retry_after"] if scripted["retry_after"] is not None else 1)
        return status, headers, {"error": "TooManyRequests"}
    if status == 409:
        return status, headers, {"error": "UpdateConflict"}
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
                method=body.get("method"),
            )
        except (KeyError, ValueError) as e:
            return 400, {}, {"error": f"bad script: {e}"}
        return 200, {}, {"ok": True}
    if method == "POST" and path == "/_stub/tickets":
        return 200, {}, {"ticket": stub.seed_ticket(body["ticket"])}
    if method == "POST" and path == "/_stub/comments":
        stub.seed_comment(int(body["ticket_id"]), body["comment"], body["author"])
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
    print(f"listening on {stub.url}", flush=True)
    try:
        stub._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stub._server.server_close()


if __name__ == "__main__":
    main()
