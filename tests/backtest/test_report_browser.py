"""The report page opened in a real headless browser: tables and charts render, nothing loads
from the network. Needs Chromium (Debian's `chromium` package; .ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.backtest.run import Options, run_backtest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless browser on PATH (chromium, chromium-browser or google-chrome): "
    "install Debian's chromium package (apt-get install chromium), as .ci/run does",
)

URL_ATTRIBUTES = ("src", "href", "srcset", "poster", "action", "data", "background")


class Dom(HTMLParser):
    """What the tests look at in the rendered DOM."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.rows: dict[str, int] = {}
        self.remote: list[str] = []
        self._table: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "table":
            self._table = attributes.get("id")
            self.rows[self._table or ""] = 0
        if tag == "tr" and self._table is not None:
            self.rows[self._table] += 1
        for name in URL_ATTRIBUTES:
            value = (attributes.get(name) or "").strip().lower()
            if value.startswith(("http:", "https:", "//")):
                self.remote.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def headless(*arguments: str, profile: Path) -> subprocess.CompletedProcess:
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory, policy) -> Path:
    out = tmp_path_factory.mktemp("report")
    sample = Path(__file__).resolve().parents[2] / "app" / "samples" / "backtest_tickets.jsonl"
    bar = type(
        "Bar", (), {"update": lambda s, n: None, "close": lambda s: None, "set_postfix_str": lambda *a, **k: None}
    )
    run_backtest(Options(out=out, policy=policy, mode="event", input_path=sample), lambda what, total: bar())
    return out / "index.html"


@pytest.fixture(scope="module")
def dom(page, tmp_path_factory) -> Dom:
    rendered = headless("--dump-dom", page.as_uri(), profile=tmp_path_factory.mktemp("profile"))
    parsed = Dom()
    parsed.feed(rendered.stdout)
    return parsed


def test_the_rendered_page_has_every_chart_as_svg_with_its_labels_as_text(dom):
    assert dom.tags.count("svg") == 5  # agreement, volume and escalations by hour of week, pages, API calls
    assert dom.tags.count("text") > 100  # axis labels and values stay text
    assert "script" not in dom.tags


def test_the_rendered_page_has_every_table_with_a_row_per_item(dom):
    # header row + one row per item, for the shipped sample
    assert dom.rows["figures"] == 1 + 12
    assert dom.rows["matrix"] == 1 + 3
    assert dom.rows["missed-table"] == 1 + 7
    assert dom.rows["policy-only-table"] == 1 + 10
    assert dom.rows["both-table"] == 1 + 12
    assert dom.rows["near-miss-table"] == 1 + 7  # 5 decisions; two of them quote two words
    assert dom.rows["events-by-hour-table"] == 1 + 7
    assert dom.rows["hour-of-week-table"] == 1 + 7
    assert dom.rows["pages-table"] == 1 + 5
    assert dom.rows["api-calls-table"] == 1 + 4


def test_the_page_loads_nothing_from_the_network(dom, page):
    assert dom.remote == []
    assert "@import" not in page.read_text(encoding="utf-8")
    assert {"link", "img", "iframe", "object", "embed"}.isdisjoint(dom.tags)


def test_a_screenshot_of_the_page_is_drawn(page, tmp_path):
    shot = tmp_path / "report.png"
    headless(
        "--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p"
    )

    from PIL import Image  # installed with matplotlib

    with Image.open(shot) as image:
        assert image.size == (1280, 2400)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, tables and charts, not a blank page
