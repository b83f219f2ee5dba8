"""Every environment variable Settings reads is a documented contract: README table and .env.example."""

import re

from tests.helpers import REPO


def test_every_setting_is_in_the_readme_and_the_env_example():
    source = (REPO / "app" / "infra" / "settings.py").read_text()
    names = set(re.findall(r'reader\.(?:text|flag|integer)\(\s*"([A-Z_]+)"', source))
    assert {"REDIS_URL", "PAGERDUTY_ROUTING_KEY", "ESCALATOR_SLA_WATCHDOG_LEAD_MINUTES"} <= names
    readme = (REPO / "README.md").read_text()
    example = (REPO / "config" / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
    assert sorted(n for n in names if not re.search(rf"^#? ?{n}=", example, re.MULTILINE)) == []
