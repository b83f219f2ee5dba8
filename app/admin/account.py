"""What a Zendesk account holds of escalator's objects, found by the names install gives them.

Read-only: every call here is a GET. Names are matched exactly (Zendesk's own filters are
substring or fuzzy matches). Schedules and SLA policies are plan features: a 403 or 404 on their
list endpoints records them as unavailable instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.admin import names
from app.admin.desired import SCHEDULE, SLA
from app.admin.zendesk_api import AdminError, AdminZendesk, explain
from app.zendesk.errors import AuthFailed, NotFound

Record = dict[str, Any]

TRIGGER_TITLES = (names.TRIGGER_CREATED, names.TRIGGER_COMMENT, names.TRIGGER_SOLVED)
FIELD_TITLES = (names.FIELD_RESPONSE_DUE, names.FIELD_URGENCY, names.FIELD_CATEGORY, names.FIELD_DEADLINE)
SLA_TITLES = (names.SLA_URGENT, names.SLA_TIME_SENSITIVE)


@dataclass
class Account:
    webhooks: list[Record] = field(default_factory=list)
    triggers: dict[str, list[Record]] = field(default_factory=dict)  # our titles only
    fields: dict[str, list[Record]] = field(default_factory=dict)  # our titles only
    fields_by_id: dict[int, Record] = field(default_factory=dict)  # every ticket field
    schedules: list[Record] = field(default_factory=list)  # named names.SCHEDULE
    holidays: list[Record] = field(default_factory=list)  # of our schedule, when there is one
    sla_policies: dict[str, list[Record]] = field(default_factory=dict)  # our titles only
    unavailable: dict[str, str] = field(default_factory=dict)  # SCHEDULE/SLA -> why

    @property
    def schedule(self) -> Record | None:
        return self.schedules[0] if len(self.schedules) == 1 else None


def whoami(api: AdminZendesk) -> Record:
    """The user the credentials act as; refuses anything but an admin, in plain words.

    Zendesk answers `GET /users/me` with 200 and an "Anonymous user" (no id) for a wrong password,
    so a 200 alone proves nothing."""
    try:
        user: Record = api.get("/api/v2/users/me").get("user") or {}
    except NotFound as error:
        raise AdminError(explain(error, "GET /api/v2/users/me", subdomain_hint=_subdomain_hint(api))) from None
    if user.get("id") is None:
        raise AdminError(
            f"Zendesk at {api.base_url} answered as an anonymous user: the credentials were not accepted. "
            "Check ZENDESK_EMAIL and ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN)."
        )
    if user.get("role") != "admin":
        raise AdminError(
            f"The credentials act as {user.get('name') or user['id']} (role {user.get('role')!r}): this token "
            "is not an admin's. Webhooks, triggers, fields, schedules and SLA policies need an admin."
        )
    return user


def _subdomain_hint(api: AdminZendesk) -> str:
    return f"no Zendesk account answers at {api.base_url}: check ZENDESK_SUBDOMAIN ('acme' for acme.zendesk.com)"


def zendesk_time_zone(api: AdminZendesk, iana_name: str) -> str:
    """Zendesk's name for an IANA time zone ("America/New_York" -> "Eastern Time (US & Canada)").

    Schedules take Zendesk's (Rails) names, listed by `GET /api/v2/time_zones`; several may share
    one IANA zone, and the first listed is used."""
    zones = api.list_all("/api/v2/time_zones", "time_zones", cursor=False)
    for zone in zones:
        if zone.get("iana_name") == iana_name and zone.get("name"):
            return str(zone["name"])
    raise AdminError(
        f"Zendesk lists no time zone for [hours] time_zone {iana_name!r} (GET /api/v2/time_zones). "
        "Use a zone Zendesk offers in config/policy.toml, or run install with --skip schedule."
    )


def read_account(api: AdminZendesk, *, skip: frozenset[str] = frozenset()) -> Account:
    account = Account()
    account.webhooks = [
        hook
        for hook in api.list_all("/api/v2/webhooks", "webhooks", params={"filter[name_contains]": names.PREFIX})
        if hook.get("name") == names.WEBHOOK
    ]
    account.triggers = _by_name(api.list_all("/api/v2/triggers", "triggers"), "title", TRIGGER_TITLES)
    every_field = api.list_all("/api/v2/ticket_fields", "ticket_fields")
    account.fields = _by_name(every_field, "title", FIELD_TITLES)
    account.fields_by_id = {int(f["id"]): f for f in every_field if f.get("id") is not None}
    if SCHEDULE not in skip:
        _read_schedule(api, account)
    if SLA not in skip:
        try:
            policies = api.list_all("/api/v2/slas/policies", "sla_policies", cursor=False)
            account.sla_policies = _by_name(policies, "title", SLA_TITLES)
        except (AuthFailed, NotFound) as error:
            account.unavailable[SLA] = f"SLA policies are not available on this account ({error.status})"
    return account


def _read_schedule(api: AdminZendesk, account: Account) -> None:
    try:
        schedules = api.get("/api/v2/business_hours/schedules").get("schedules") or []
    except (AuthFailed, NotFound) as error:
        account.unavailable[SCHEDULE] = f"business-hours schedules are not available on this account ({error.status})"
        return
    account.schedules = [s for s in schedules if s.get("name") == names.SCHEDULE]
    if account.schedule is not None:
        path = f"/api/v2/business_hours/schedules/{account.schedule['id']}/holidays"
        account.holidays = api.get(path).get("holidays") or []


def _by_name(records: list[Record], key: str, wanted: tuple[str, ...]) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    for record in records:
        if record.get(key) in wanted:
            found.setdefault(record[key], []).append(record)
    return found
