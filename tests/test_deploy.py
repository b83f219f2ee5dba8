"""Heroku deploy files (app.json, .python-version, requirements.txt, Procfile) agree with the code.

Every setting the code reads is documented the same way in app.json, the README's configuration
table and config/.env.example; app.json's defaults are the code's defaults; its formation is the
Procfile's process types.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from app.infra.settings import Settings
from tests.helpers import REPO

APP_JSON = json.loads((REPO / "app.json").read_text())
ENV = APP_JSON["env"]
# Set by Heroku, not by whoever deploys: the port, the web processes per dyno size, and the
# Redis URL the heroku-redis add-on attaches.
SET_BY_HEROKU = {"PORT", "WEB_CONCURRENCY", "REDIS_URL"}
READ = re.compile(r"""(?:reader\.(?:text|flag|integer)|environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def names_read_by_code() -> set[str]:
    files = [*REPO.glob("app/**/*.py"), *REPO.glob("workers/**/*.py"), *REPO.glob("config/*.py")]
    return {name for path in files for name in READ.findall(path.read_text())}


def settings_names() -> set[str]:
    return set(READ.findall((REPO / "app/infra/settings.py").read_text()))


def test_the_scan_finds_what_settings_read():
    expected = {
        "ZENDESK_WEBHOOK_SECRET",
        "REDIS_URL",
        "GUNICORN_WORKER_CONNECTIONS",
        "ESCALATOR_LOG_LEVEL",
        "SENTRY_DSN",
    }
    assert expected <= names_read_by_code()


def test_app_json_has_every_setting_the_code_reads():
    assert set(ENV) == names_read_by_code() - SET_BY_HEROKU


def test_readme_table_and_env_example_name_every_setting():
    readme = (REPO / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table = {
        name
        for line in readme.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }
    example = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (REPO / "config/.env.example").read_text(), re.MULTILINE))
    assert table == names_read_by_code()
    assert example == names_read_by_code()


def test_every_entry_is_described_and_says_whether_it_is_required():
    for name, entry in ENV.items():
        assert entry["description"].strip(), name
        assert isinstance(entry["required"], bool), name
        assert "generator" not in entry, f"{name}: every secret comes from Zendesk; Heroku cannot make one"
    assert ENV["ZENDESK_WEBHOOK_SECRET"]["required"] is True
    assert ENV["ZENDESK_SUBDOMAIN"]["required"] is True
    assert all(
        "value" not in ENV[name] for name in ("ZENDESK_WEBHOOK_SECRET", "ZENDESK_OAUTH_TOKEN", "ZENDESK_API_TOKEN")
    )


@pytest.mark.parametrize("name", sorted(name for name, entry in ENV.items() if "value" in entry))
def test_a_value_in_app_json_is_the_codes_own_default(name, monkeypatch):
    value = ENV[name]["value"]
    if name in settings_names():
        assert Settings.from_env({name: value}) == Settings.from_env({})
    else:
        pytest.fail(f"{name}: teach this test where the code reads its default")


def test_formation_is_the_procfiles_process_types():
    procfile = (REPO / "Procfile").read_text().splitlines()
    process_types = {line.split(":", 1)[0] for line in procfile if line.strip() and not line.startswith("#")}
    assert set(APP_JSON["formation"]) == process_types
    assert all(entry["quantity"] >= 1 for entry in APP_JSON["formation"].values())


def test_redis_comes_from_the_add_on_as_redis_url():
    assert {"plan": "heroku-redis:mini", "as": "REDIS"} in APP_JSON["addons"]


def test_the_runtime_pin_is_a_python_the_project_supports():
    pin = (REPO / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", pin), "Heroku recommends the major version form, e.g. 3.11"
    minimum = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tuple(map(int, pin.split("."))) >= tuple(map(int, minimum.removeprefix(">=").split(".")))


def test_heroku_installs_the_project_itself():
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert lines == ["."]


def test_readme_has_the_deploy_button_and_the_admin_walkthrough():
    readme = (REPO / "README.md").read_text()
    assert "[![Deploy to Heroku](https://www.herokucdn.com/deploy/button.svg)](https://heroku.com/deploy)" in readme
    admins = readme.split("## Admins", 1)[1].split("\n## ", 1)[0]
    for step in ("escalator zendesk install", "escalator zendesk doctor", "escalator replay", "#what-agents-see"):
        assert step in admins
