from app.cli.replay import resolve_payload, with_fresh_ids
from tests.helpers import SAMPLES, load_json


def test_fresh_ids_make_a_new_event_on_a_new_ticket():
    body = load_json(SAMPLES / "ticket_comment_added__end_user_time_sensitive.json")
    fresh = with_fresh_ids(body)
    assert fresh["id"] != body["id"]
    assert fresh["detail"]["id"] != body["detail"]["id"] and fresh["subject"] == f"zen:ticket:{fresh['detail']['id']}"
    assert fresh["event"]["comment"]["id"] != body["event"]["comment"]["id"]
    assert fresh["event"]["comment"]["body"] == body["event"]["comment"]["body"]
    assert body["detail"]["id"] == "7004"  # the sample itself is untouched


def test_fresh_ids_for_a_messaging_event_give_a_new_message():
    body = load_json(SAMPLES / "messaging_ticket_message_added__end_user_urgent.json")
    fresh = with_fresh_ids(body)
    assert (fresh["id"], fresh["detail"]["id"]) != (body["id"], body["detail"]["id"])
    assert fresh["event"]["message"]["id"] != body["event"]["message"]["id"]
    assert fresh["event"]["message"]["body"] == body["event"]["message"]["body"]
    assert fresh["event"]["actor"] == body["event"]["actor"]


def test_fresh_ids_for_trigger_bodies():
    body = load_json(SAMPLES / "trigger__comment.json")
    fresh = with_fresh_ids(body)
    assert fresh["ticket_id"] != body["ticket_id"] and fresh["comment_id"] != body["comment_id"]
    assert "comment_id" not in with_fresh_ids(load_json(SAMPLES / "trigger__created.json"))


def test_payloads_are_files_or_sample_names(tmp_path):
    assert resolve_payload("trigger__comment") == SAMPLES / "trigger__comment.json"
    own = tmp_path / "mine.json"
    own.write_text("{}")
    assert resolve_payload(str(own)) == own
