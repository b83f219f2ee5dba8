"""Send a plan's requests in order (or print them, for --dry-run).

A refused request skips the rest of its group (no holidays for a schedule Zendesk would not
make) and every request that needs an id it would have made (no triggers without the webhook);
the other groups still go, so one plan-limited feature does not stop the rest of the install.
Running the command again resumes: everything already made is found by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from app.admin.plan import Request, new_id
from app.admin.zendesk_api import AdminZendesk, explain
from app.zendesk.errors import NotFound, ZendeskError

PLACEHOLDER_START = "<id of new "
DRY_RUN_READS = (
    "Dry run: the account is read (GET requests only, each printed below as 'read: GET ...' as it is "
    "sent) to plan; nothing is written."
)


@dataclass
class Outcome:
    sent: list[Request] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # explained, one per refused request
    skipped: list[Request] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)  # placeholder -> the id Zendesk gave

    def resolve(self, value: Any) -> Any:
        return self.ids.get(value, value) if isinstance(value, str) else value


def describe(request: Request) -> str:
    """A request as a dry run prints it: what and why, the method and path, the JSON body."""
    lines = [f"# {request.what}", f"{request.method} {request.path}"]
    if request.body is not None:
        lines.append(json.dumps(request.body, indent=2, ensure_ascii=False))
    return "\n".join(lines)


def dry_run_footer(api: AdminZendesk | None) -> str:
    """The last line of a dry run: what it did send (reads only, counted), so nobody has to guess."""
    if api is None:
        return "Dry run: no request was sent to Zendesk."
    return f"Dry run: the account was read with {api.sent['GET']} GET request(s); no write was sent."


def execute(api: AdminZendesk, requests: list[Request], echo: Callable[[str], None]) -> Outcome:
    outcome = Outcome()
    failed_groups: set[str] = set()
    for planned in requests:
        request = _with_ids(planned, outcome.ids)
        if planned.group in failed_groups or _has_placeholder(request):
            outcome.skipped.append(planned)
            echo(f"  skipped: {planned.what} (an earlier request it depends on failed)")
            continue
        try:
            answer = api.call(request.method, request.path, json=request.body)
        except ZendeskError as error:
            if isinstance(error, NotFound) and request.missing_ok:
                echo(f"  already gone: {planned.what}")
                continue
            failed_groups.add(planned.group)
            outcome.failures.append(explain(error, f"{planned.what} ({request.method} {request.path})"))
            echo(f"  FAILED: {outcome.failures[-1]}")
            continue
        outcome.sent.append(planned)
        if planned.creates:
            created = (answer.get(planned.creates) or {}).get("id")
            if created is None:
                failed_groups.add(planned.group)
                outcome.failures.append(f"{planned.what}: Zendesk's answer carried no {planned.creates} id.")
                echo(f"  FAILED: {outcome.failures[-1]}")
                continue
            outcome.ids[_placeholder(planned)] = created
        echo(f"  done: {planned.what}")
    return outcome


def _placeholder(request: Request) -> str:
    assert request.creates is not None
    return new_id(request.creates, request.name)


def _with_ids(request: Request, ids: dict[str, Any]) -> Request:
    path = request.path
    for placeholder, real in ids.items():
        path = path.replace(placeholder, str(real))
    body = _substitute(request.body, ids) if request.body is not None else None
    return replace(request, path=path, body=body)


def _substitute(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, ids) for item in value]
    if isinstance(value, str) and value in ids:
        return str(ids[value])
    return value


def _has_placeholder(request: Request) -> bool:
    return PLACEHOLDER_START in request.path or PLACEHOLDER_START in json.dumps(request.body)
