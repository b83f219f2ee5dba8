"""app.ticket_event: the job payload, and jobs written by 0.1.0 still read."""

from app.ticket_event import TicketEvent
from tests.zendesk.factories import event


def test_an_event_survives_the_job_round_trip():
    for name in ("ticket_created__urgent_outage", "ticket_comment_added__end_user_urgent", "trigger_comment__end_user"):
        original = event(name)
        assert TicketEvent.from_job(original.to_job()) == original


def test_a_0_1_0_trigger_comment_job_is_read_with_its_comment_id():
    legacy = {
        "event_id": "trigger-7-70",
        "kind": "comment",
        "source": "trigger",
        "ticket_id": 7,
        "occurred_at": "2026-11-30T16:00:00Z",
        "actor_id": 5,
        "actor_role": "end-user",
        "ticket": None,
        "comment": {"id": 70},
    }
    read = TicketEvent.from_job(legacy)
    assert (read.comment_id, read.comment) == (70, None)
    assert read.work_id == "ticket:7:comment:70"


def test_a_0_1_0_event_comment_job_keeps_its_comment():
    legacy_comment = {
        "id": 70,
        "body": "urgent",
        "html_body": "",
        "is_public": True,
        "author_id": 5,
        "author_is_staff": False,
    }
    read = TicketEvent.from_job(
        {
            "event_id": "e1",
            "kind": "comment",
            "source": "event",
            "ticket_id": 7,
            "occurred_at": "2026-11-30T16:00:00Z",
            "comment": legacy_comment,
        }
    )
    assert read.comment == {**legacy_comment, "created_at": None}
    assert read.comment_id == 70
