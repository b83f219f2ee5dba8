"""Zendesk's refusals, explained in plain words (through the real client and its error mapping)."""

from __future__ import annotations

import pytest

from app.admin.account import whoami
from app.admin.zendesk_api import AdminError, AdminZendesk, error_details, explain
from app.zendesk.client import ZendeskClient
from app.zendesk.errors import ZendeskError
from tests.zendesk.factories import BASE_URL

# A body the Webhooks reference documents: the refusals below are Zendesk's, not the body's.
WEBHOOK = {
    "webhook": {
        "name": "escalator: urgency webhook",
        "endpoint": "https://acme-escalator.example.com/webhooks/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
    }
}


def refusal(rsps, api, status, body, path="/api/v2/webhooks") -> ZendeskError:
    rsps.post(BASE_URL + path, status=status, json=body)
    with pytest.raises(ZendeskError) as caught:
        api.call("POST", path, json=WEBHOOK)
    return caught.value


def test_401_names_the_credential_settings(rsps, api):
    error = refusal(rsps, api, 401, {"error": "Couldn't authenticate you"})
    assert explain(error, "create webhook") == (
        "create webhook: Zendesk did not accept the credentials (401). Check ZENDESK_OAUTH_TOKEN, or ZENDESK_EMAIL "
        "and ZENDESK_API_TOKEN (API tokens must be enabled in Admin Center). Zendesk said: Couldn't authenticate you"
    )


def test_403_says_the_token_is_not_an_admins(rsps, api):
    body = {"error": {"title": "Forbidden", "message": "You do not have access to this page."}}
    text = explain(refusal(rsps, api, 403, body), "create webhook")
    assert "Zendesk refused (403): this token is not an admin's" in text
    assert text.endswith("Zendesk said: You do not have access to this page.")


def test_404_on_the_first_request_asks_about_the_subdomain(rsps, api):
    rsps.get(BASE_URL + "/api/v2/users/me", status=404, json={"error": "InvalidEndpoint", "description": "Not found"})
    with pytest.raises(
        AdminError,
        match=r"not found \(404\); no Zendesk account answers at https://acme.zendesk.com: "
        r"check ZENDESK_SUBDOMAIN",
    ):
        whoami(api)


def test_422_names_every_field(rsps, api):
    body = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "title": [{"description": "Title: cannot be blank", "error": "BlankValue"}],
            "base": [{"description": "Trigger must contain at least one action"}],
        },
    }
    assert explain(refusal(rsps, api, 422, body), "create trigger") == (
        "create trigger: Zendesk refused the values (422): title: Title: cannot be blank; "
        "base: Trigger must contain at least one action."
    )


def test_the_newer_error_envelope_is_read_too():
    body = {
        "errors": [
            {
                "code": "InvalidInput",
                "title": "Invalid",
                "detail": "must be https",
                "source": {"pointer": "/webhook/endpoint"},
            }
        ]
    }
    assert error_details(body) == ["/webhook/endpoint: must be https"]
    assert error_details({"error": "RecordNotFound", "description": "Not found"}) == ["Not found"]
    assert error_details(None) == []


def test_anonymous_user_and_non_admins_are_refused_before_anything_else(rsps, api):
    rsps.get(BASE_URL + "/api/v2/users/me", json={"user": {"id": None, "name": "Anonymous user", "role": "end-user"}})
    with pytest.raises(AdminError, match="answered as an anonymous user: the credentials were not accepted"):
        whoami(api)
    rsps.replace("GET", BASE_URL + "/api/v2/users/me", json={"user": {"id": 5, "name": "Al Agent", "role": "agent"}})
    with pytest.raises(AdminError, match=r"act as Al Agent \(role 'agent'\): this token is not an admin's"):
        whoami(api)


def test_a_read_only_client_refuses_every_write_unsent(rsps, echo):
    """The client of a dry run: a bug that tried to write would stop there, not reach Zendesk."""
    read_only = AdminZendesk(ZendeskClient(BASE_URL, oauth_token="t"), echo=echo, read_only=True)
    rsps.get(BASE_URL + "/api/v2/webhooks", json={"webhooks": []})

    assert read_only.get("/api/v2/webhooks") == {"webhooks": []}
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(AdminError, match=f"dry run: {method} /api/v2/webhooks is a write"):
            read_only.call(method, "/api/v2/webhooks", json=WEBHOOK)
    assert [call.request.method for call in rsps.calls] == ["GET"]
    assert read_only.sent == {"GET": 1}


def test_a_delete_answers_204_without_a_body(rsps, api):
    rsps.delete(BASE_URL + "/api/v2/webhooks/01H", status=204)
    assert api.call("DELETE", "/api/v2/webhooks/01H") == {}
