"""`escalator zendesk uninstall`: removes what install made (by name), and only that."""

from __future__ import annotations

from app.admin import names
from app.admin.execute import DRY_RUN_READS
from app.admin.uninstall import run_uninstall
from tests.admin.test_install import install


def uninstall(api, echo, *, answer=True, **options) -> tuple[int, list[str]]:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    return run_uninstall(api, confirm=confirm, echo=echo, **options), asked


def add_customer_objects(fake) -> None:
    fake.add_webhook(
        name="escalator-like but theirs", endpoint="https://theirs.test", status="active", subscriptions=[]
    )
    fake.add_trigger(title="Notify requester", active=True, conditions={"all": [], "any": []}, actions=[])
    fake.add_field(title="Order number")
    fake.add_schedule(name="Support hours", time_zone="London")
    fake.add_sla(title="Gold customers", filter={"all": [], "any": []}, policy_metrics=[])


def test_uninstall_removes_everything_install_made_and_nothing_else(fake, api, policy, echo):
    add_customer_objects(fake)
    install(api, policy, echo, mode="trigger", extra_fields=("urgency", "deadline"))

    status, asked = uninstall(api, echo)

    assert status == 0
    assert [h["name"] for h in fake.webhooks.values()] == ["escalator-like but theirs"]
    assert [t["title"] for t in fake.triggers.values()] == ["Notify requester"]
    assert sum("/triggers/" in path for method, path, _ in fake.writes if method == "DELETE") == 3
    assert [f["title"] for f in fake.fields.values()] == ["Order number"]
    assert [s["name"] for s in fake.schedules.values()] == ["Support hours"]
    assert [p["title"] for p in fake.sla_policies.values()] == ["Gold customers"]
    [question] = asked
    assert f"delete webhook '{names.WEBHOOK}'" in question
    assert "Deleting a ticket field deletes its value on every ticket" in question
    # Triggers go before the webhook they call (the fake refuses the other order).
    deletes = [path for method, path, _ in fake.writes if method == "DELETE"]
    assert deletes.index(next(p for p in deletes if "/triggers/" in p)) < deletes.index(
        next(p for p in deletes if "/webhooks/" in p)
    )


def test_no_means_nothing_is_removed(fake, api, policy, echo):
    install(api, policy, echo)
    before = fake.write_count

    status, _ = uninstall(api, echo, answer=False)

    assert status == 1
    assert fake.write_count == before
    assert "Nothing removed." in echo


def test_keep_fields_deactivates_them(fake, api, policy, echo):
    install(api, policy, echo)

    assert uninstall(api, echo, keep_fields=True)[0] == 0

    [due] = fake.fields.values()
    assert (due["title"], due["active"]) == (names.FIELD_RESPONSE_DUE, False)
    assert fake.webhooks == {} and fake.schedules == {}


def test_dry_run_lists_the_deletes_and_sends_none(fake, api, policy, echo):
    install(api, policy, echo)
    before = fake.write_count

    status, asked = uninstall(api, echo, dry_run=True)

    assert (status, asked) == (0, [])
    assert fake.write_count == before
    assert "DELETE /api/v2/webhooks/" in echo.text
    assert echo[-1].startswith("Dry run: the account was read with ")
    assert echo[-1].endswith(" GET request(s); no write was sent.")
    assert echo[echo.index(DRY_RUN_READS) + 1] == "  read: GET /api/v2/users/me (sent)"
    reads = [line for line in echo if line.startswith("  read: GET ")]
    assert echo[-1] == f"Dry run: the account was read with {len(reads)} GET request(s); no write was sent."


def test_nothing_left_sends_nothing(fake, api, echo):
    assert uninstall(api, echo) == (0, [])
    assert fake.writes == []
    assert "Nothing of escalator's is left in this account (no write sent)." in echo


def test_something_already_gone_counts_as_removed(fake, api, policy, echo):
    install(api, policy, echo)
    [hook_id] = fake.webhooks
    fake.interrupt[f"DELETE /api/v2/webhooks/{hook_id}"] = [(404, {}, {"errors": [{"code": "WebhookNotFound"}]})]

    assert uninstall(api, echo)[0] == 0
    assert f"  already gone: delete webhook '{names.WEBHOOK}'" in echo
