import base64
import json
import logging

import pytest
import requests
import responses
from responses import matchers

from app import __version__
from app.infra.settings import Settings
from app.zendesk import (
    AuthFailed,
    Conflict,
    DryRunRead,
    DryRunZendesk,
    NotFound,
    RateLimited,
    Unprocessable,
    ZendeskClient,
    ZendeskError,
    ZendeskUnavailable,
    make_zendesk,
)
from tests.openapi import validate_request
from tests.zendesk.factories import BASE_URL, api_ticket

TOKEN = "oauth-secret-token-value"


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def client():
    return ZendeskClient(BASE_URL, oauth_token=TOKEN)


def comment(comment_id, author_id, public=True, body="It is urgent."):
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author_id,
        "body": body,
        "html_body": f"<p>{body}</p>",
        "public": public,
        "created_at": "2026-11-30T16:00:00Z",
    }


def users(*pairs):
    return [{"id": user_id, "name": "x", "role": role} for user_id, role in pairs]


def test_get_ticket_sends_bearer_token_user_agent_and_timeouts(api, client):
    api.get(f"{BASE_URL}/api/v2/tickets/35436", json={"ticket": api_ticket()})
    assert client.get_ticket(35436)["priority"] == "normal"
    sent = api.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"] == f"escalator/{__version__} (+https://github.com/escalator)"
    assert sent.req_kwargs["timeout"] == (3.05, 10.0)


def test_api_token_uses_basic_auth_with_email_slash_token(api):
    api.get(f"{BASE_URL}/api/v2/users/me", json={"user": {"id": 900001, "role": "admin"}})
    ours = ZendeskClient(BASE_URL + "/", email="bot@acme.test", api_token="abc123").integration_user_id()
    assert ours == 900001
    expected = base64.b64encode(b"bot@acme.test/token:abc123").decode()
    assert api.calls[0].request.headers["Authorization"] == f"Basic {expected}"


def test_client_needs_credentials():
    with pytest.raises(ValueError):
        ZendeskClient(BASE_URL)


NEWEST_FIRST_WITH_USERS = {"sort_order": "desc", "include": "users", "per_page": "100"}


def test_comment_with_author_is_one_read_newest_first_with_users_sideloaded(api, client):
    api.get(
        f"{BASE_URL}/api/v2/tickets/35436/comments",
        match=[matchers.query_param_matcher(NEWEST_FIRST_WITH_USERS)],
        json={
            "comments": [comment(2, 20978392), comment(1, 235323)],
            "users": users((235323, "agent"), (20978392, "end-user")),
            "next_page": None,
        },
    )
    found = client.get_comment(35436, 2)
    assert found == {
        "id": 2,
        "body": "It is urgent.",
        "html_body": "<p>It is urgent.</p>",
        "is_public": True,
        "author_id": 20978392,
        "author_is_staff": False,
        "created_at": "2026-11-30T16:00:00Z",
    }
    assert len(api.calls) == 1


def test_comment_by_an_agent_or_unknown_author_counts_as_staff(api, client):
    api.get(
        f"{BASE_URL}/api/v2/tickets/35436/comments",
        json={"comments": [comment(1, 235323), comment(2, 777)], "users": users((235323, "agent"))},
    )
    assert client.get_comment(35436, 1)["author_is_staff"] is True
    assert client.get_comment(35436, 2)["author_is_staff"] is True


def test_the_latest_comment_of_a_long_ticket_is_found_in_the_one_read(api, client):
    """A trigger names the newest comment: on the first page newest first, however long the ticket."""
    url = f"{BASE_URL}/api/v2/tickets/35436/comments"
    api.get(
        url,
        match=[matchers.query_param_matcher(NEWEST_FIRST_WITH_USERS)],
        json={
            "comments": [comment(250, 5), comment(249, 5)],
            "users": users((5, "end-user")),
            "next_page": url + "?page=2",
        },
    )
    assert client.get_comment(35436, 250)["author_is_staff"] is False
    assert len(api.calls) == 1


def test_missing_comment_is_none_after_one_read(api, client):
    url = f"{BASE_URL}/api/v2/tickets/35436/comments"
    api.get(url, json={"comments": [comment(250, 5)], "users": [], "next_page": url + "?page=2"})
    assert client.get_comment(35436, 9) is None
    assert len(api.calls) == 1


def test_update_ticket_puts_the_body_as_json(api, client):
    body = {
        "ticket": {
            "priority": "urgent",
            "comment": {"body": "note", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-27T15:00:00Z",
        }
    }
    api.put(f"{BASE_URL}/api/v2/tickets/35436", json={"ticket": api_ticket(priority="urgent"), "audit": {}})
    client.update_ticket(35436, body)
    assert json.loads(api.calls[0].request.body) == body
    assert api.calls[0].request.headers["Content-Type"] == "application/json"
    validate_request("PUT", "/api/v2/tickets/{ticket_id}", body)


@pytest.mark.parametrize(
    "status, error",
    [
        (401, AuthFailed),
        (403, AuthFailed),
        (404, NotFound),
        (409, Conflict),
        (422, Unprocessable),
        (500, ZendeskUnavailable),
        (502, ZendeskUnavailable),
        (503, ZendeskUnavailable),
        (400, ZendeskError),
    ],
)
def test_statuses_map_to_typed_errors(api, client, status, error):
    api.put(
        f"{BASE_URL}/api/v2/tickets/1",
        status=status,
        json={"error": "RecordInvalid", "details": {"base": [{"description": "customer words"}]}},
    )
    with pytest.raises(error) as raised:
        client.update_ticket(1, {"ticket": {}})
    assert raised.value.status == status
    assert "customer words" not in str(raised.value)
    assert str(raised.value).startswith(f"PUT /api/v2/tickets/1: {status}")


@pytest.mark.parametrize(
    "details, field_ids",
    [
        # zenpy #425: a date field refusing a time
        (
            {"base": [{"description": "Due is not valid", "error": "InvalidValue", "ticket_field_id": 103}]},
            (103,),
        ),
        # required on solve: several fields, one entry each
        (
            {
                "base": [
                    {"description": "x", "error": None, "ticket_field_id": 11, "ticket_field_type": "FieldAssignee"},
                    {"description": "y", "error": None, "ticket_field_id": 12, "ticket_field_type": "FieldTagger"},
                ]
            },
            (11, 12),
        ),
        ({"status": [{"description": "closed prevents ticket update"}]}, ()),  # keyed by attribute, no field
        ({"base": "not a list"}, ()),
        ("not an object", ()),
        ({"base": [{"ticket_field_id": "103"}, {"ticket_field_id": True}]}, ()),  # ids are integers
    ],
)
def test_422_names_the_refused_custom_fields_from_any_details_key(api, client, details, field_ids):
    body = {"error": "RecordInvalid", "description": "Record validation errors", "details": details}
    api.put(f"{BASE_URL}/api/v2/tickets/1", status=422, json=body)
    with pytest.raises(Unprocessable) as raised:
        client.update_ticket(1, {"ticket": {"priority": "urgent"}})
    assert raised.value.refused_field_ids == field_ids


def test_message_text_is_read_from_the_conversation_log_newest_first(api, client):
    api.get(
        f"{BASE_URL}/api/v2/tickets/141/conversation_log",
        match=[matchers.query_param_matcher({"sort": "-created_at", "page[size]": "100"})],
        json={
            "events": [
                {
                    "type": "Comment",
                    "reference": "zen:ticket_event:8639371328313",
                    "content": {"type": "html", "body": "<p>Conversation with Dana</p>"},
                },
                {
                    "type": "Messaging::ConversationMessage",
                    "reference": "zen:sunco:conversation_message:6807603a38564290f5a086c2",
                    "content": {"type": "text", "text": "it is urgent"},
                },
                {
                    "type": "Messaging::ConversationMessage",
                    "reference": "zen:sunco:conversation_message:6807603a38564290f5a08600",
                    "content": {"type": "image", "media_url": "https://x"},
                },
            ],
            "meta": {"has_more": False},
        },
    )
    assert client.get_message_text(141, "6807603a38564290f5a086c2") == "it is urgent"
    assert client.get_message_text(141, "6807603a38564290f5a08600") == ""
    assert client.get_message_text(141, "8639371328313") is None


def test_429_carries_retry_after(api, client):
    api.get(f"{BASE_URL}/api/v2/tickets/1", status=429, headers={"Retry-After": "7"}, body="Too many")
    with pytest.raises(RateLimited) as raised:
        client.get_ticket(1)
    assert raised.value.retry_after == 7.0


def test_429_without_retry_after_waits_a_minute(api, client):
    api.get(f"{BASE_URL}/api/v2/tickets/1", status=429)
    with pytest.raises(RateLimited) as raised:
        client.get_ticket(1)
    assert raised.value.retry_after == 60.0


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout("x"), requests.ReadTimeout("x"), requests.ConnectionError("refused")]
)
def test_timeouts_and_connection_errors_are_unavailable(api, client, failure):
    api.get(f"{BASE_URL}/api/v2/tickets/1", body=failure)
    with pytest.raises(ZendeskUnavailable):
        client.get_ticket(1)


def test_credentials_and_comment_text_are_never_logged(api, caplog):
    caplog.set_level(logging.DEBUG, logger="escalator")
    client = ZendeskClient(BASE_URL, email="bot@acme.test", api_token="s3cr3t-api-token")
    api.put(f"{BASE_URL}/api/v2/tickets/1", json={"ticket": {}})
    api.get(f"{BASE_URL}/api/v2/tickets/2", status=500)
    client.update_ticket(1, {"ticket": {"comment": {"body": "customer secret words", "public": False}}})
    with pytest.raises(ZendeskUnavailable):
        client.get_ticket(2)
    assert "PUT" in caplog.text
    for secret in ("s3cr3t-api-token", "customer secret words"):
        assert secret not in caplog.text
    assert "s3cr3t" not in repr(client)


def test_throttle_runs_before_every_request(api):
    seen = []
    client = ZendeskClient(BASE_URL, oauth_token=TOKEN, throttle=lambda: seen.append(len(api.calls)))
    api.get(f"{BASE_URL}/api/v2/tickets/1", json={"ticket": api_ticket(1)})
    client.get_ticket(1)
    client.get_ticket(1)
    assert seen == [0, 1]


def test_dry_run_logs_the_exact_put_and_reads_nothing(caplog):
    caplog.set_level(logging.INFO, logger="escalator.zendesk.dry_run")
    dry = DryRunZendesk(show_text=True)
    body = {"ticket": {"priority": "urgent", "comment": {"body": "Escalated.", "public": False}}}
    with pytest.raises(DryRunRead):
        dry.get_ticket(1)
    with pytest.raises(DryRunRead):
        dry.get_comment(1, 2)
    with pytest.raises(DryRunRead):
        dry.get_message_text(1, "6807603a38564290f5a086c2")
    assert dry.integration_user_id() is None
    dry.update_ticket(35436, body)
    put = [r for r in caplog.records if "PUT" in r.getMessage()]
    assert put[0].name == "escalator.zendesk.dry_run"
    assert put[0].getMessage() == (
        "zendesk.dry_run.request method=PUT path=/api/v2/tickets/35436 body=" + json.dumps(body, sort_keys=True)
    )


def test_without_show_text_a_dry_run_logs_what_it_would_set_but_no_customer_words(caplog):
    words = 'Urgency: urgent, found "URGENT" in the subject ("URGENT: payroll export down")'
    body = {"ticket": {"priority": "urgent", "tags": ["urgency_urgent"], "comment": {"body": words, "public": False}}}
    with caplog.at_level(logging.INFO, logger="escalator.zendesk.dry_run"):
        DryRunZendesk().update_ticket(35436, body)
    assert [r.getMessage() for r in caplog.records] == [
        "zendesk.dry_run.request method=PUT path=/api/v2/tickets/35436 sets=ticket.comment,ticket.priority,ticket.tags",
        f"zendesk.dry_run.internal_note ticket=35436 chars={len(words)}",
    ]
    assert "payroll" not in caplog.text


def test_make_zendesk_picks_dry_run_without_an_account():
    assert isinstance(make_zendesk(Settings()), DryRunZendesk)
    assert make_zendesk(Settings()).show_text is False  # a deployed worker without an account
    assert make_zendesk(Settings(dry_run_show_text=True)).show_text is True  # escalator serve
    real = make_zendesk(Settings(zendesk_subdomain="acme", zendesk_oauth_token=TOKEN))
    assert isinstance(real, ZendeskClient) and real.base_url == "https://acme.zendesk.com"


def test_request_sends_any_call_and_an_empty_answer_is_an_empty_dict(api, client):
    api.delete(f"{BASE_URL}/api/v2/webhooks/01H", status=204)
    assert client.request("DELETE", "/api/v2/webhooks/01H") == {}


def test_a_refusal_keeps_zendesks_answer_for_whoever_explains_it(api, client):
    refusal = {"error": "RecordInvalid", "details": {"title": [{"description": "Title: cannot be blank"}]}}
    api.post(f"{BASE_URL}/api/v2/triggers", status=422, json=refusal)
    with pytest.raises(Unprocessable) as caught:
        # A request the OpenAPI file accepts (every recorded request is checked), which Zendesk refuses.
        blank_title = {
            "title": "",
            "conditions": {"all": [], "any": []},
            "actions": [{"field": "status", "value": "open"}],
        }
        client.request("POST", "/api/v2/triggers", json={"trigger": blank_title})
    assert caught.value.body == refusal
    assert "cannot be blank" not in str(caught.value)  # the message itself never carries the body


def test_add_tags_is_a_safe_update_of_the_tags_endpoint(api, client):
    api.put(f"{BASE_URL}/api/v2/tickets/35436/tags", json={"tags": ["enterprise", "sla_at_risk"]})
    answer = client.add_tags(35436, ["sla_at_risk"], "2026-11-28T07:30:00Z")

    assert answer == {"tags": ["enterprise", "sla_at_risk"]}
    assert json.loads(api.calls[0].request.body) == {
        "tags": ["sla_at_risk"],
        "safe_update": True,
        "updated_stamp": "2026-11-28T07:30:00Z",
    }


def test_add_tags_conflict_is_a_conflict(api, client):
    api.put(f"{BASE_URL}/api/v2/tickets/35436/tags", status=409, json={"error": "UpdateConflict"})
    with pytest.raises(Conflict):
        client.add_tags(35436, ["sla_at_risk"], "2026-11-28T07:30:00Z")


def test_recent_comments_are_read_newest_first_with_their_authors(api, client):
    api.get(
        f"{BASE_URL}/api/v2/tickets/35436/comments",
        match=[matchers.query_param_matcher({"sort_order": "desc", "include": "users", "per_page": "100"})],
        json={
            "comments": [comment(3, 9100, body="On it."), comment(2, 9001, public=True), comment(1, 9002)],
            "users": users((9100, "agent"), (9001, "end-user")),
        },
    )
    found = client.get_recent_comments(35436)
    assert [(c["id"], c["author_is_staff"], c["is_public"]) for c in found] == [
        (3, True, True),
        (2, False, True),
        (1, True, True),
    ]
    assert found[0]["created_at"] == "2026-11-30T16:00:00Z"


def test_dry_run_logs_the_tags_write_and_refuses_the_comments_read(caplog):
    dry = DryRunZendesk(show_text=True)
    with caplog.at_level(logging.INFO, logger="escalator.zendesk.dry_run"):
        assert dry.add_tags(7, ["sla_at_risk"], "2026-11-28T07:30:00Z") == {}
    assert (
        'method=PUT path=/api/v2/tickets/7/tags body={"safe_update": true, "tags": ["sla_at_risk"], "updated_stamp": "2026-11-28T07:30:00Z"}'
        in caplog.text
    )
    with pytest.raises(DryRunRead):
        dry.get_recent_comments(7)
