"""The worker with the real policy engine and config/policy.toml (field ids set for the test)."""

import json
import logging
from dataclasses import replace

import pytest

from app.policy import ZendeskFields, decide, load_policy
from app.policy.model import TicketText
from app.timestamps import parse_time
from tests.zendesk.factories import BASE_URL, api_ticket, event

pytestmark = pytest.mark.redis

TICKET_URL = f"{BASE_URL}/api/v2/tickets/35436"
FIELDS = ZendeskFields(
    urgency_field_id=101,
    category_field_id=102,
    response_due_field_id=103,
    response_due_field_type="text",
    after_hours_field_id=104,
)


@pytest.fixture
def applier(make_applier, known_integration_user):
    made = make_applier(policy=replace(load_policy(), zendesk=FIELDS))
    made.decide = decide
    return made


def comment_event(body: str, **ticket):
    base = event("ticket_comment_added__end_user_urgent")
    return replace(base, ticket={**base.ticket, **ticket}, comment={**base.comment, "body": body})


def test_policy_example_urgent_outage_in_business_hours(applier, api, put_bodies):
    api.get(TICKET_URL, json={"ticket": api_ticket(updated_at="2026-11-27T15:00:00Z")})
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(event("ticket_created__urgent_outage")) == "updated"
    [body] = put_bodies()
    update = body["ticket"]
    assert update["priority"] == "urgent"
    # "Since 9:40 all calls fail." names when it began, but no steps to reproduce (POLICY.md 6)
    assert update["tags"] == [
        "enterprise",
        "urgency_urgent",
        "category_incident",
        "info_missing",
        "missing_steps_to_reproduce",
    ]
    # the after-hours checkbox is already false on the ticket: not rewritten
    assert update["custom_fields"] == [
        {"id": 101, "value": "urgent"},
        {"id": 102, "value": "incident"},
        {"id": 103, "value": "2026-11-27T17:00:00Z"},
    ]
    assert update["comment"]["public"] is False
    assert 'found "URGENT" in the subject' in update["comment"]["body"]
    assert "Missing: steps to reproduce. Tagged info_missing, missing_steps_to_reproduce." in update["comment"]["body"]
    assert update["updated_stamp"] == "2026-11-27T15:00:00Z"


def test_negated_comment_changes_nothing(applier, api):
    assert applier.apply(comment_event("This is not urgent, just following up.")) == "noop"
    assert len(api.calls) == 0


def test_near_miss_gets_its_tag_and_a_note_only(applier, api, put_bodies):
    api.put(TICKET_URL, json={"ticket": {}})
    assert applier.apply(comment_event("Any news? This is urgnet for us.")) == "updated"
    [body] = put_bodies()
    assert set(body["ticket"]) == {"tags", "comment", "safe_update", "updated_stamp"}
    assert body["ticket"]["tags"] == ["enterprise", "category_incident", "urgency_near_miss"]


def test_time_sensitive_comment_keeps_an_urgent_priority_and_the_known_category(applier, api, put_bodies):
    tags = ["category_account_access", "urgency_urgent"]
    api.get(
        TICKET_URL,
        json={
            "ticket": api_ticket(
                priority="urgent",
                tags=tags,
                custom_fields=[
                    {"id": 101, "value": "urgent"},
                    {"id": 102, "value": "account_access"},
                    {"id": 103, "value": "2026-11-27T17:00:00Z"},
                    {"id": 104, "value": False},
                ],
            )
        },
    )
    api.put(TICKET_URL, json={"ticket": {}})

    ticket_event = comment_event("Also time sensitive: the launch is Friday.", priority="urgent", tags=tags)
    assert applier.apply(ticket_event) == "updated"

    [body] = put_bodies()
    assert body["ticket"]["tags"] == [*tags, "urgency_time_sensitive"]
    assert "priority" not in body["ticket"] and "custom_fields" not in body["ticket"]
    assert "Priority kept at urgent" in body["ticket"]["comment"]["body"]
    assert "account_access" in body["ticket"]["comment"]["body"]


@pytest.mark.parametrize(
    "tags, category, merged",
    [
        # tie order: incident first, and the other policy category tag goes; the comment makes it
        # an urgent incident, whose report items (POLICY.md 6) "Still urgent, please." lacks
        (
            ["category_other", "category_incident"],
            "incident",
            ["category_incident", "urgency_urgent", "info_missing", "missing_start_time", "missing_steps_to_reproduce"],
        ),
        # category_billing is an agent's own tag: kept
        (
            ["category_billing", "category_account_access"],
            "account_access",
            ["category_billing", "category_account_access", "urgency_urgent"],
        ),
    ],
)
def test_the_known_category_is_a_policy_category_tag(applier, api, put_bodies, tags, category, merged):
    api.get(TICKET_URL, json={"ticket": api_ticket(tags=tags)})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(comment_event("Still urgent, please.", tags=tags)) == "updated"

    [body] = put_bodies()
    update = body["ticket"]
    assert {"id": 102, "value": category} in update["custom_fields"]
    assert update["tags"] == merged


# --- The after-hours public reply (POLICY.md section 4, [after_hours.public_reply]) -----------


from app import redis_keys  # noqa: E402
from app.policy import load_policy as _load_policy  # noqa: E402
from workers import jobs  # noqa: E402

NO_FIELDS = ZendeskFields(0, 0, 0, "text", 0)
SATURDAY_NIGHT = "2026-11-28T07:30:00Z"  # Saturday 02:30 ET
LOCKED_OUT = "Urgent: I am locked out of my account and cannot log in."
STAMP = "2026-11-30T16:00:00Z"  # the fixture snapshot's updated_at
AFTER_MAIN = "2026-11-30T16:00:05Z"  # the ticket's updated_at after the main update
REPLIED = "next_business_day_replied"
NBD_TAGS = ["urgency_urgent", "category_account_access", "after_hours", "next_business_day"]


def reply_policy(enabled: bool):
    policy = _load_policy()
    reply = replace(policy.after_hours.public_reply, enabled=enabled)
    return replace(policy, zendesk=NO_FIELDS, after_hours=replace(policy.after_hours, public_reply=reply))


# The reply the engine offers (its configured text, filled from [hours]).
REPLY_TEXT = decide(
    TicketText(event="comment", subject="", body=LOCKED_OUT, received_at=parse_time(SATURDAY_NIGHT)),
    reply_policy(True),
).public_reply


@pytest.fixture
def reply_applier(make_applier, known_integration_user):
    def make(enabled: bool = True):
        made = make_applier(policy=reply_policy(enabled))
        made.decide = decide
        return made

    return make


def after_hours_locked_out(comment_id=41000000001):
    base = event("ticket_comment_added__end_user_urgent")
    return replace(
        base,
        occurred_at=SATURDAY_NIGHT,
        ticket={**base.ticket, "tags": ["enterprise"]},
        comment={**base.comment, "id": comment_id, "body": LOCKED_OUT},
    )


def ticket_now(*extra_tags, updated_at=AFTER_MAIN) -> dict:
    """The ticket as Zendesk has it once the main update landed (a PUT answer or a GET)."""
    return {"ticket": api_ticket(priority="urgent", tags=["enterprise", *NBD_TAGS, *extra_tags], updated_at=updated_at)}


def assert_main_update(body):
    update = dict(body["ticket"])
    note = update.pop("comment")
    assert note["public"] is False and "account_access" in note["body"]
    assert update == {
        "priority": "urgent",
        "tags": ["enterprise", *NBD_TAGS],
        "safe_update": True,
        "updated_stamp": STAMP,
    }


def public_reply(stamp=AFTER_MAIN, *extra_tags) -> dict:
    """The reply PUT on the ticket as ticket_now() shows it: its tags merged with the replied tag."""
    return {
        "ticket": {
            "comment": {"body": REPLY_TEXT, "public": True},
            "tags": ["enterprise", *NBD_TAGS, *extra_tags, REPLIED],
            "safe_update": True,
            "updated_stamp": stamp,
        }
    }


def test_public_reply_enabled_after_hours_account_access_makes_two_puts(reply_applier, api, put_bodies, redis_db):
    api.put(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, json=ticket_now(REPLIED, updated_at="2026-11-30T16:00:06Z"))

    assert reply_applier().apply(after_hours_locked_out()) == "updated"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT"]
    main, reply = put_bodies()  # both checked against the OpenAPI file
    assert_main_update(main)
    assert reply == public_reply()  # stamped with the main update's answer
    assert "next business day" in REPLY_TEXT and "(Monday to Friday, 8 am to 8 pm New York time)" in REPLY_TEXT
    assert set(redis_db.keys()) == {
        redis_keys.INTEGRATION_USER_ID.encode(),
        redis_keys.done("ticket:35436:comment:41000000001").encode(),
        redis_keys.ticket_writes(35436).encode(),
    }
    assert redis_db.zcard(redis_keys.ticket_writes(35436)) == 2  # both PUTs count against Zendesk's limit


def test_public_reply_disabled_makes_one_put_only(reply_applier, api, put_bodies):
    api.put(TICKET_URL, json=ticket_now())

    assert reply_applier(enabled=False).apply(after_hours_locked_out()) == "updated"

    [main] = put_bodies()
    assert_main_update(main)
    assert len(api.calls) == 1


def test_public_reply_is_not_sent_for_a_ticket_that_already_got_it(reply_applier, api):
    """A second after-hours comment on a ticket that has the decision and the reply: no call."""
    first = after_hours_locked_out()
    second = replace(
        first,
        comment={**first.comment, "id": 41000000002},
        ticket={**first.ticket, "priority": "urgent", "tags": ["enterprise", *NBD_TAGS, REPLIED]},
    )
    assert reply_applier().apply(second) == "noop"
    assert len(api.calls) == 0


def test_redelivery_sends_no_second_reply(reply_applier, api, put_bodies):
    api.put(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, json=ticket_now(REPLIED))
    applier = reply_applier()

    assert applier.apply(after_hours_locked_out()) == "updated"
    assert applier.apply(after_hours_locked_out()) == "duplicate"

    assert len(put_bodies()) == 2


def test_retry_without_done_mark_re_decides_to_noop_and_sends_no_second_reply(reply_applier, api, put_bodies, redis_db):
    """A job killed after both PUTs, before its done mark: the retry's 409 re-read shows the tags."""
    api.put(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, json=ticket_now(REPLIED))
    applier = reply_applier()
    assert applier.apply(after_hours_locked_out()) == "updated"
    redis_db.delete(redis_keys.done("ticket:35436:comment:41000000001"))

    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=ticket_now(REPLIED))
    assert applier.apply(after_hours_locked_out()) == "noop"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "PUT", "GET"]
    assert sum(b == public_reply() for b in put_bodies()) == 1


def test_reply_put_500_then_retry_sends_the_reply_once(reply_applier, api, put_bodies, queue):
    applier = reply_applier()
    job = after_hours_locked_out().to_job()
    api.put(TICKET_URL, json=ticket_now())  # the main update lands
    api.put(TICKET_URL, status=500, json={"error": "InternalError"})  # the reply does not

    assert jobs.run(applier, queue, job) == "rescheduled:unavailable"

    # The retry: its snapshot's stamp is stale (409), the re-read shows the update landed, so the
    # decision is a no-op; the ticket has no reply tag yet, so the reply is sent.
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, json=ticket_now(REPLIED))
    assert jobs.run(applier, queue, job, attempt=1, outage_attempt=1) == "replied"
    assert jobs.run(applier, queue, job, attempt=2, outage_attempt=1) == "duplicate"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "PUT", "GET", "PUT"]
    bodies = put_bodies()
    assert_main_update(bodies[0])
    assert bodies[1] == bodies[3] == public_reply()  # the 500 and the one that landed
    assert bodies[2]["ticket"]["updated_stamp"] == STAMP


def test_retry_after_a_reply_that_landed_despite_the_error_does_not_post_it_again(
    reply_applier, api, put_bodies, queue
):
    """A 5xx or timeout may come after Zendesk applied the reply: the retry sees its tag and stops."""
    applier = reply_applier()
    job = after_hours_locked_out().to_job()
    api.put(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, status=503, json={"error": "ServiceUnavailable"})
    assert jobs.run(applier, queue, job) == "rescheduled:unavailable"

    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=ticket_now(REPLIED, updated_at="2026-11-30T16:00:06Z"))
    assert jobs.run(applier, queue, job, attempt=1, outage_attempt=1) == "noop"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "PUT", "GET"]
    assert sum(b == public_reply() for b in put_bodies()) == 1


def test_main_put_lost_answer_then_retry_sends_the_reply_once(reply_applier, api, put_bodies, queue):
    """The main PUT landed but its answer was a 500: the retry's re-read shows the tags, no reply tag."""
    applier = reply_applier()
    job = after_hours_locked_out().to_job()
    api.put(TICKET_URL, status=500, json={"error": "InternalError"})
    assert jobs.run(applier, queue, job) == "rescheduled:unavailable"

    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, json=ticket_now(REPLIED))
    assert jobs.run(applier, queue, job, attempt=1, outage_attempt=1) == "replied"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "GET", "PUT"]
    assert put_bodies()[2] == public_reply()
    assert sum(b == public_reply() for b in put_bodies()) == 1


@pytest.mark.parametrize(
    "reread_tags, calls, reply_stamp",
    [
        ((), ["PUT", "PUT", "GET", "PUT"], "2026-11-30T16:00:07Z"),  # still owed: sent with the new stamp
        ((REPLIED,), ["PUT", "PUT", "GET"], None),  # another job sent it meanwhile: not again
    ],
)
def test_reply_put_409_rereads_and_checks_the_tags_again(
    reply_applier, api, put_bodies, reread_tags, calls, reply_stamp
):
    api.put(TICKET_URL, json=ticket_now())
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=ticket_now(*reread_tags, updated_at="2026-11-30T16:00:07Z"))
    if reply_stamp:
        api.put(TICKET_URL, json=ticket_now(REPLIED))

    assert reply_applier().apply(after_hours_locked_out()) == "updated"

    assert [c.request.method for c in api.calls] == calls
    if reply_stamp:
        assert put_bodies()[-1] == public_reply(reply_stamp)


def test_dry_run_logs_the_reply_put_without_a_stamp(make_applier, caplog):
    """A dry run has no PUT answer: the reply follows the tags the main update would add."""
    applier = make_applier(policy=reply_policy(True), dry_run=True)
    applier.decide = decide
    with caplog.at_level(logging.INFO, logger="escalator.zendesk.dry_run"):
        assert applier.apply(after_hours_locked_out()) == "updated"
    main, reply = [
        json.loads(r.getMessage().split("body=", 1)[1])
        for r in caplog.records
        if r.getMessage().startswith("zendesk.dry_run.request method=PUT ")
    ]
    assert main["ticket"]["tags"] == ["enterprise", *NBD_TAGS]
    assert reply == {
        "ticket": {"comment": {"body": REPLY_TEXT, "public": True}, "tags": ["enterprise", *NBD_TAGS, REPLIED]}
    }


def test_a_main_put_answer_without_the_ticket_makes_the_reply_read_it_first(reply_applier, api, put_bodies):
    """The reply's `tags` replace the list, so it is never sent without a stamp to guard it."""
    api.put(TICKET_URL, json={})  # no ticket in the answer (Zendesk documents one; never trust it blindly)
    api.get(TICKET_URL, json=ticket_now("agent_tag", updated_at="2026-11-30T16:00:07Z"))
    api.put(TICKET_URL, json=ticket_now("agent_tag", REPLIED))

    assert reply_applier().apply(after_hours_locked_out()) == "updated"

    assert [c.request.method for c in api.calls] == ["PUT", "GET", "PUT"]
    assert put_bodies()[-1] == public_reply("2026-11-30T16:00:07Z", "agent_tag")


# --- Intake (POLICY.md section 6): open items across comments, the deadline field, the request --


INCIDENT_OPEN = ["enterprise", "urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce"]
STEPS = "Steps to reproduce:\n1. Call POST /v1/evaluations\n2. Observe the 502"
DEADLINE_FIELD = 105


def test_a_later_comment_that_supplies_the_missing_steps_removes_their_tags(applier, api, put_bodies):
    """The comment has no urgency of its own: answering the open item is the change, with a note."""
    api.put(TICKET_URL, json={"ticket": api_ticket(priority="urgent", tags=INCIDENT_OPEN[:3])})

    answer = comment_event(STEPS, priority="urgent", tags=INCIDENT_OPEN)
    assert applier.apply(answer) == "updated"

    [body] = put_bodies()
    update = body["ticket"]
    assert update["tags"] == ["enterprise", "urgency_urgent", "category_incident"]
    assert "priority" not in update and "custom_fields" not in update  # no level: no fields
    note = update["comment"]
    assert note["public"] is False
    assert "Supplied in this message: steps to reproduce" in note["body"]
    assert "Removed missing_steps_to_reproduce, info_missing." in note["body"]


def test_a_comment_that_supplies_one_of_two_items_keeps_info_missing(applier, api, put_bodies):
    open_both = [*INCIDENT_OPEN, "missing_start_time"]
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(comment_event(STEPS, priority="urgent", tags=open_both)) == "updated"

    [body] = put_bodies()
    assert body["ticket"]["tags"] == [t for t in open_both if t != "missing_steps_to_reproduce"]
    assert "Still missing: start time." in body["ticket"]["comment"]["body"]


def test_a_comment_that_supplies_nothing_changes_nothing(applier, api):
    assert applier.apply(comment_event("Any news?", priority="urgent", tags=INCIDENT_OPEN)) == "noop"
    assert len(api.calls) == 0


def deadline_applier(make_applier):
    made = make_applier(policy=replace(load_policy(), zendesk=replace(FIELDS, deadline_field_id=DEADLINE_FIELD)))
    made.decide = decide
    return made


def with_deadline_field(value=None, **ticket) -> dict:
    fields = [{"id": i, "value": None} for i in (101, 102, 103)] + [{"id": 104, "value": False}]
    return {"ticket": api_ticket(custom_fields=[*fields, {"id": DEADLINE_FIELD, "value": value}], **ticket)}


def test_the_deadline_goes_into_the_deadline_field(make_applier, known_integration_user, api, put_bodies):
    """Monday 2026-11-30, "by Wednesday": the deadline is 2026-12-02, short notice (POLICY.md 6)."""
    api.get(
        TICKET_URL,
        json=with_deadline_field(
            subject="Time sensitive: journey threshold",
            description="Please raise the threshold on our onboarding journey by Wednesday.",
            created_at="2026-11-30T16:00:00Z",
        ),
    )
    api.put(TICKET_URL, json={"ticket": {}})

    assert deadline_applier(make_applier).apply(event("ticket_created__urgent_outage")) == "updated"

    [body] = put_bodies()
    update = body["ticket"]
    assert {"id": DEADLINE_FIELD, "value": "2026-12-02"} in update["custom_fields"]
    assert update["tags"] == ["enterprise", "urgency_time_sensitive", "category_workflow_update", "short_notice"]
    assert "Deadline: Wed 2026-12-02" in update["comment"]["body"]


def test_a_comment_with_the_missing_deadline_fills_the_field_and_clears_deadline_missing(
    make_applier, known_integration_user, api, put_bodies
):
    tags = ["enterprise", "urgency_time_sensitive", "category_workflow_update", "deadline_missing"]
    api.get(TICKET_URL, json=with_deadline_field(priority="high", tags=tags))
    api.put(TICKET_URL, json={"ticket": {}})

    supplies = comment_event("The deadline is Friday.", priority="high", tags=tags)
    assert deadline_applier(make_applier).apply(supplies) == "updated"

    [body] = put_bodies()
    update = body["ticket"]
    assert update["custom_fields"] == [{"id": DEADLINE_FIELD, "value": "2026-12-04"}]  # Fri; Mon event: 4 days
    assert update["tags"] == ["enterprise", "urgency_time_sensitive", "category_workflow_update"]
    assert "deadline_missing removed" in update["comment"]["body"]


def info_request_policy():
    policy = _load_policy()
    request = replace(policy.intake.info_request, enabled=True)
    return replace(policy, zendesk=NO_FIELDS, intake=replace(policy.intake, info_request=request))


INCIDENT_NOW = "URGENT: the API is down since 9:40"
INFO_REQUEST = decide(
    TicketText(event="comment", subject="", body=INCIDENT_NOW, received_at=parse_time(STAMP)), info_request_policy()
).info_request_reply
REQUESTED = "info_requested"
OPENED = ["enterprise", "urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce"]


def incident_comment():
    base = event("ticket_comment_added__end_user_urgent")
    return replace(base, ticket={**base.ticket, "tags": ["enterprise"]}, comment={**base.comment, "body": INCIDENT_NOW})


def incident_now(*extra_tags, updated_at=AFTER_MAIN) -> dict:
    return {"ticket": api_ticket(priority="urgent", tags=[*OPENED, *extra_tags], updated_at=updated_at)}


def info_request(stamp=AFTER_MAIN) -> dict:
    return {
        "ticket": {
            "comment": {"body": INFO_REQUEST, "public": True},
            "tags": [*OPENED, REQUESTED],
            "safe_update": True,
            "updated_stamp": stamp,
        }
    }


def test_the_info_request_asks_for_exactly_the_missing_items():
    assert INFO_REQUEST is not None
    assert "- the steps our team can take to reproduce the issue" in INFO_REQUEST
    assert "when the problem started" not in INFO_REQUEST  # "since 9:40" says it


def test_the_info_request_is_sent_once_across_retries(make_applier, known_integration_user, api, put_bodies, queue):
    applier = make_applier(policy=info_request_policy())
    applier.decide = decide
    job = incident_comment().to_job()
    api.put(TICKET_URL, json=incident_now())  # the main update lands and opens the item
    api.put(TICKET_URL, status=500, json={"error": "InternalError"})  # the request does not

    assert jobs.run(applier, queue, job) == "rescheduled:unavailable"

    # The retry: a stale stamp (409); the re-read shows the update, so the decision is a no-op,
    # but the ticket has no info_requested tag yet: the request is sent.
    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=incident_now())
    api.put(TICKET_URL, json=incident_now(REQUESTED, updated_at="2026-11-30T16:00:09Z"))
    assert jobs.run(applier, queue, job, attempt=1, outage_attempt=1) == "replied"
    assert jobs.run(applier, queue, job, attempt=2, outage_attempt=1) == "duplicate"

    # Another urgent comment later: the ticket has the tag, so no second request.
    later = replace(
        incident_comment(),
        comment_id=41000000002,
        comment={**incident_comment().comment, "id": 41000000002, "body": "Still urgent, still down."},
        ticket={**incident_comment().ticket, "priority": "urgent", "tags": [*OPENED, REQUESTED]},
    )
    assert applier.apply(later) == "noop"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "PUT", "GET", "PUT"]
    bodies = put_bodies()
    assert bodies[0]["ticket"]["tags"] == OPENED
    assert bodies[1] == bodies[3] == info_request()  # the 500 and the one that landed
    assert sum(b["ticket"]["comment"]["public"] for b in bodies) == 2


def test_a_retry_that_finds_the_request_landed_does_not_send_it_again(
    make_applier, known_integration_user, api, put_bodies, queue
):
    applier = make_applier(policy=info_request_policy())
    applier.decide = decide
    job = incident_comment().to_job()
    api.put(TICKET_URL, json=incident_now())
    api.put(TICKET_URL, status=503, json={"error": "ServiceUnavailable"})  # applied, then the error
    assert jobs.run(applier, queue, job) == "rescheduled:unavailable"

    api.put(TICKET_URL, status=409, json={"error": "UpdateConflict"})
    api.get(TICKET_URL, json=incident_now(REQUESTED, updated_at="2026-11-30T16:00:09Z"))
    assert jobs.run(applier, queue, job, attempt=1, outage_attempt=1) == "noop"

    assert [c.request.method for c in api.calls] == ["PUT", "PUT", "PUT", "GET"]
    assert sum(b == info_request() for b in put_bodies()) == 1


def test_the_info_request_is_off_by_default(make_applier, known_integration_user, api, put_bodies):
    applier = make_applier(policy=replace(_load_policy(), zendesk=NO_FIELDS))
    applier.decide = decide
    api.put(TICKET_URL, json=incident_now())
    assert applier.apply(incident_comment()) == "updated"
    [main] = put_bodies()
    assert main["ticket"]["tags"] == OPENED and main["ticket"]["comment"]["public"] is False


def test_a_message_that_supplies_the_missing_steps_is_read_and_clears_their_tags(
    make_applier, known_integration_user, api, put_bodies
):
    """A message with no urgency is not skipped unread when it may answer an open item."""
    applier = make_applier(policy=replace(_load_policy(), zendesk=NO_FIELDS))
    applier.decide = decide
    base = event("messaging_ticket_message_added__end_user_urgent")
    message = replace(base, message={**base.message, "body": STEPS})
    api.get(TICKET_URL, json={"ticket": api_ticket(priority="urgent", tags=INCIDENT_OPEN)})
    api.put(TICKET_URL, json={"ticket": {}})

    assert applier.apply(message) == "updated"

    [body] = put_bodies()
    assert body["ticket"]["tags"] == ["enterprise", "urgency_urgent", "category_incident"]
    chat = replace(base, message={**base.message, "id": "6a4f6e01dae152f024959c12", "body": "Thanks, talk soon."})
    assert applier.apply(chat) == "noop"  # answers nothing on any ticket: not even read
    assert [c.request.method for c in api.calls] == ["GET", "PUT"]
