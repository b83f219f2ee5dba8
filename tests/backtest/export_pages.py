"""A small account for the export tests: the pages Zendesk would answer, as documented.

Tickets 101 and 103 are created in the window (2026-10-01 to 2026-10-08 UTC); 102 before it,
104 is deleted, 105 after it. The ticket_events export comes in two pages whose boundary
second (14:30 on Oct 2) holds two events, so the second page repeats them. Ticket 101's
events use the export's own shape (the changed field as the key), ticket 103's the audit shape
(`field_name`/`value`), and 103's comment comes without its text, so its comments are read
from the comments endpoint (two pages).
"""

from __future__ import annotations

from datetime import UTC, datetime

BASE_URL = "https://acme.zendesk.com"
SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 10, 8, tzinfo=UTC)
ME, REQUESTER, OTHER_REQUESTER, AGENT = 900001, 501, 503, 9001


def unix(day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(2026, 10, day, hour, minute, tzinfo=UTC).timestamp())


def iso(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-10-{day:02d}T{hour:02d}:{minute:02d}:00Z"


BOUNDARY = unix(2, 14, 30)


def ticket(ticket_id: int, created_at: str, status: str = "open", **extra) -> dict:
    return {
        "id": ticket_id,
        "created_at": created_at,
        "updated_at": created_at,
        "generated_timestamp": unix(7, 0),
        "subject": f"Subject of {ticket_id}",
        "description": "Description",
        "priority": "normal",
        "status": status,
        "tags": [],
        **extra,
    }


TICKETS_PAGE_1 = {
    "after_cursor": "c1",
    "after_url": f"{BASE_URL}/api/v2/incremental/tickets/cursor?cursor=c1",
    "before_cursor": None,
    "before_url": None,
    "end_of_stream": False,
    "tickets": [
        ticket(101, iso(2, 14), priority="urgent", tags=["enterprise", "vip", "customer_replied"]),
        ticket(102, "2026-09-20T10:00:00Z"),
    ],
}
TICKETS_PAGE_2 = {
    "after_cursor": "c2",
    "after_url": f"{BASE_URL}/api/v2/incremental/tickets/cursor?cursor=c2",
    "before_cursor": "c1",
    "before_url": None,
    "end_of_stream": True,
    "tickets": [
        ticket(103, iso(2, 14, 30), subject="Time sensitive: threshold change", priority="low"),
        ticket(104, iso(4, 9), status="deleted"),
        ticket(105, iso(9, 9)),
    ],
}


def audit(event_id: int, ticket_id: int, at: int, updater: int, children: list, via: str = "Web form") -> dict:
    return {
        "id": event_id,
        "ticket_id": ticket_id,
        "timestamp": at,
        "created_at": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updater_id": updater,
        "via": via,
        "via_reference_id": None,
        "event_type": "Audit",
        "child_events": children,
    }


def comment_child(comment_id: int, author: int, body: str, at: str, public: bool = True) -> dict:
    return {
        "id": comment_id,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "via_reference_id": None,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": f"<p>{body}</p>",
        "public": public,
        "attachments": [],
        "audit_id": comment_id - 1,
        "created_at": at,
        "event_type": "Comment",
    }


E_OUTSIDE = audit(1001, 102, unix(2, 10), REQUESTER, [comment_child(20001, REQUESTER, "Old ticket", iso(2, 10))])
E_CREATE_101 = audit(
    1002,
    101,
    unix(2, 14),
    REQUESTER,
    [
        {"id": 2, "via": "Web form", "event_type": "Create", "subject": "URGENT: API returning errors"},
        {"id": 3, "via": "Web form", "event_type": "Create", "priority": "normal"},
        {"id": 4, "via": "Web form", "event_type": "Create", "tags": ["enterprise"]},
        comment_child(10001, REQUESTER, "Every call fails with errors.", iso(2, 14)),
    ],
)
E_AGENT_RAISES_101 = audit(
    1003,
    101,
    BOUNDARY,
    AGENT,
    [
        {"id": 5, "via": "Web form", "event_type": "Change", "priority": "urgent", "previous_value": "normal"},
        {
            "id": 6,
            "via": "Web form",
            "event_type": "Change",
            "tags": ["enterprise", "vip"],
            "previous_value": ["enterprise"],
        },
    ],
)
E_CREATE_103 = audit(
    1004,
    103,
    BOUNDARY,
    OTHER_REQUESTER,
    [
        {"id": 7, "event_type": "Create", "field_name": "priority", "value": "low"},
        {"id": 30001, "event_type": "Comment", "comment_present": True, "comment_public": True},
    ],
)
E_COMMENT_101 = audit(
    1005,
    101,
    unix(3, 10),
    REQUESTER,
    [
        comment_child(10002, REQUESTER, "This is time sensitive for us.", iso(3, 10)),
        {
            "id": 8,
            "via": "Rule",
            "event_type": "Change",
            "added_tags": ["customer_replied"],
            "removed_tags": [],
            "tags": ["enterprise", "vip", "customer_replied"],
            "previous_value": ["enterprise", "vip"],
        },
    ],
)
E_AFTER_UNTIL = audit(1006, 101, unix(9, 10), REQUESTER, [comment_child(10003, REQUESTER, "Later", iso(9, 10))])

EVENTS_PAGE_1 = {
    "count": 4,
    "end_of_stream": False,
    "end_time": BOUNDARY,
    "next_page": f"{BASE_URL}/api/v2/incremental/ticket_events?start_time={BOUNDARY}",
    "ticket_events": [E_OUTSIDE, E_CREATE_101, E_AGENT_RAISES_101, E_CREATE_103],
}
EVENTS_PAGE_2 = {
    "count": 4,
    "end_of_stream": False,
    "end_time": unix(9, 10),
    "next_page": f"{BASE_URL}/api/v2/incremental/ticket_events?start_time={unix(9, 10)}",
    "ticket_events": [E_AGENT_RAISES_101, E_CREATE_103, E_COMMENT_101, E_AFTER_UNTIL],
}

COMMENTS_103_PAGE_1 = {
    "comments": [
        {
            "id": 30001,
            "type": "Comment",
            "author_id": OTHER_REQUESTER,
            "public": True,
            "body": "Time sensitive: please change the threshold before Friday.",
            "html_body": "<p>...</p>",
            "created_at": iso(2, 14, 30),
        },
    ],
    "users": [{"id": OTHER_REQUESTER, "name": "Ann", "role": "end-user"}],
    "meta": {"has_more": True, "after_cursor": "k1", "before_cursor": None},
    "links": {"next": f"{BASE_URL}/api/v2/tickets/103/comments?page[after]=k1&page[size]=100", "prev": None},
}
COMMENTS_103_PAGE_2 = {
    "comments": [
        {
            "id": 30002,
            "type": "Comment",
            "author_id": AGENT,
            "public": True,
            "body": "On it.",
            "html_body": "",
            "created_at": iso(2, 15),
        },
    ],
    "users": [{"id": AGENT, "name": "Bo", "role": "agent"}],
    "meta": {"has_more": False, "after_cursor": "k2", "before_cursor": "k1"},
    "links": {"next": None, "prev": None},
}
USERS = {"users": [{"id": REQUESTER, "name": "Cy", "role": "end-user"}]}

EXPECTED_HISTORIES = [
    {
        "id": 101,
        "subject": "URGENT: API returning errors",
        "created_at": iso(2, 14),
        "priority": "normal",
        "tags": ["enterprise"],
        "comments": [
            {
                "id": 10001,
                "author_id": REQUESTER,
                "author_role": "end-user",
                "public": True,
                "body": "Every call fails with errors.",
                "html_body": "<p>Every call fails with errors.</p>",
                "created_at": iso(2, 14),
            },
            {
                "id": 10002,
                "author_id": REQUESTER,
                "author_role": "end-user",
                "public": True,
                "body": "This is time sensitive for us.",
                "html_body": "<p>This is time sensitive for us.</p>",
                "created_at": iso(3, 10),
            },
        ],
        "changes": [
            {"at": iso(2, 14, 30), "by": "agent", "field": "priority", "from": "normal", "to": "urgent"},
            {"at": iso(2, 14, 30), "by": "agent", "field": "tags", "added": ["vip"], "removed": []},
            {"at": iso(3, 10), "by": "rule", "field": "tags", "added": ["customer_replied"], "removed": []},
        ],
    },
    {
        "id": 103,
        "subject": "Time sensitive: threshold change",
        "created_at": iso(2, 14, 30),
        "priority": "low",
        "tags": [],
        "comments": [
            {
                "id": 30001,
                "author_id": OTHER_REQUESTER,
                "author_role": "end-user",
                "public": True,
                "body": "Time sensitive: please change the threshold before Friday.",
                "html_body": "<p>...</p>",
                "created_at": iso(2, 14, 30),
            },
            {
                "id": 30002,
                "author_id": AGENT,
                "author_role": "agent",
                "public": True,
                "body": "On it.",
                "html_body": "",
                "created_at": iso(2, 15),
            },
        ],
        "changes": [],
    },
]
