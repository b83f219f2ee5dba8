"""A large, varied `escalator classify` input, to show that a change to the engine keeps every decision.

    .venv/bin/python -m bench.decision_corpus > /tmp/corpus.jsonl      # once, then with each version:
    .venv/bin/escalator classify /tmp/corpus.jsonl > /tmp/before.jsonl  # (the old commit's checkout)
    .venv/bin/escalator classify /tmp/corpus.jsonl > /tmp/after.jsonl
    cmp /tmp/before.jsonl /tmp/after.jsonl                              # identical: same decisions

The lines (about 38,000; --quick: a tenth of the mixes): every string literal of the tests and
every text of the samples, as a new ticket and as a comment; 30,000 mixes of those and of the
policy's edge cases, some in capitals, full-width, with an invisible character, quoted,
decomposed or wrapped in HTML; the classify bench's 2 KB bodies; and mid-sized hostile inputs.
Times, known levels and categories, open items and priorities vary. The same source tree gives
the same corpus (a fixed seed); build it once and classify it with both versions.
"""

from __future__ import annotations

import ast
import json
import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.classify import realistic_bodies  # noqa: E402

EDGE_CASES = [
    *["not urgent", "No, this is urgent", "isnt urgent", "can not be urgent", "non - urgent", "NONURGENT"],
    *["it's not time\u2013sensitive", "time \n\n sensitive", "time senstive", "timesensitive", "urgnet"],
    *["URGENTLY", "insurgent", "ur\u200bgent", "\uff35\uff32\uff27\uff25\uff2e\uff34", "\ufb01x", "not-so-urgent"],
    *["by Friday", "deadline: Dec 3", "before 12/15", "end of next week", "EOD tomorrow", "Friday next week"],
    *["since midnight", "started at 2am ET", "app 8834-221", "A-8Xk2PqL9", "HTTP 503", "$504.00", "write down"],
    *["https://dashboard.example.com/applications/A-8Xk2PqL9", "Steps to reproduce: 1. open 2. click 3. see"],
    *["1. open the dashboard\n2. click export\n3. see the 500", "heart attack", "outage", "locked out"],
    *["On Mon, 30 Nov 2026 at 10:00, Bob <bob@x.com> wrote:", "> urgent", "-----Original Message-----"],
    *["From: Bob\nSent: Monday", "##- Please type your reply above this line -##", "Am 30.11.2026 schrieb Bob:"],
    *["---------- Forwarded message ---------", "Le 30 nov. 2026, Bob a \u00e9crit\u202f:", "\u0130stanbul"],
    *["<p>urgent</p>", "<blockquote>urgent</blockquote>", "<li>step</li>", "&amp; urgent &lt;", "\u2026 urgent"],
    *["v2.0 urgent", "3,000 urgent", "nothing\u2019s time sensitive", "but urgent", "\u3131\u314f", "\u00a0"],
]
SEPARATORS = [" ", " ", "\n", "\n\n", ". ", ", ", "; ", " - ", "\u200b", "", "\t"]
TIMES = [
    *["2026-11-30T16:00:00Z", "2026-11-30T23:00:00Z", "2026-11-28T07:30:00Z", "2026-11-27T15:00:00Z"],
    *["2026-12-31T22:00:00Z", "2026-03-08T07:30:00Z", "2026-11-01T05:59:00Z", "2026-07-04T12:00:00-04:00"],
]
LEVELS = [None, None, "none", "time_sensitive", "urgent"]
CATEGORIES = [None, None, "incident", "fraud_attack", "account_access", "workflow_update", "other"]
ITEMS = ["deadline", "start_time", "example_applications", "steps_to_reproduce"]
PRIORITIES = [None, None, "low", "normal", "high", "urgent"]
HOSTILE = [
    *["urgen " * 3000, "not urgent " * 2000, "> urgent\n" * 2000, "URGENT outage since 9:40 1. call 2. see " * 500],
    *["time sensitive " + "by 12/15 before Friday EOD 3/4 " * 700, "no " * 100 + "urgent", "not\n" * 40 + "urgent"],
    *[
        "ur\u200bgent ti\u00adme \u200b\u200d\ufeff sens\u2060itive " * 600,
        "\uff35\uff32\uff27\uff25\uff2e\uff34 \ufb01x " * 1000,
    ],
    *["nothing's " * 50 + "time sensitive " * 50, "time-sensitive " * 500 + "urgnet " * 500, "a\ufb01" * 5000],
]


def texts() -> list[str]:
    """Every string literal of the tests and every text of the samples, once each, in a fixed order."""
    found: list[str] = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 5000:
                found.append(node.value)
    for path in sorted((REPO / "app" / "samples").iterdir()):
        content = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            found += _strings(json.loads(content))
        elif path.suffix == ".jsonl":
            found += (text for line in content.splitlines() if line.strip() for text in _strings(json.loads(line)))
    return [t for t in dict.fromkeys(found) if t.strip() and not any("\ud800" <= c <= "\udfff" for c in t)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def corpus(mixes: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(20261130)
    pool = texts()
    parts = pool + EDGE_CASES * 20
    subjects = pool[:300]

    def ticket(body: str, subject: str, html: bool = False) -> dict[str, Any]:
        item: dict[str, Any] = {
            "event": rng.choice(["created", "comment"]),
            "received_at": rng.choice(TIMES),
            "subject": subject,
            "body": body,
            "body_is_html": html,
        }
        if rng.random() < 0.5:
            item["known_level"] = rng.choice(LEVELS)
            item["known_category"] = rng.choice(CATEGORIES)
            item["current_priority"] = rng.choice(PRIORITIES)
        if rng.random() < 0.3:
            item["open_items"] = rng.sample(ITEMS, rng.randint(0, len(ITEMS)))
        return item

    def varied(text: str) -> str:
        roll = rng.random()
        if roll < 0.1:
            return text.upper()
        if roll < 0.15:
            return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)  # full-width
        if roll < 0.2:
            at = rng.randrange(len(text) + 1)
            return text[:at] + rng.choice("\u200b\u200c\u200d\u2060\ufeff\u00ad") + text[at:]
        if roll < 0.23:
            return "\n".join("> " + line for line in text.split("\n"))
        if roll < 0.25:
            return unicodedata.normalize("NFD", text)
        return text

    for text in pool:
        for event in ("created", "comment"):
            yield {**ticket(text, rng.choice(subjects), html="<" in text), "event": event}
    for _ in range(mixes):
        body = "".join(varied(rng.choice(parts)) + rng.choice(SEPARATORS) for _ in range(rng.randint(1, 7)))
        html = rng.random() < 0.1
        if html:
            body = "<div>" + body.replace("\n", "<br>") + "</div>"
        yield ticket(body, rng.choice(subjects), html)
    for body in realistic_bodies(300):
        yield ticket(body, "")
    for text in HOSTILE:
        for event in ("created", "comment"):
            yield {**ticket(text, text[:300]), "event": event}


def main() -> None:
    mixes = 3_000 if "--quick" in sys.argv[1:] else 30_000
    for number, item in enumerate(corpus(mixes), start=1):
        print(json.dumps({"id": number, **item}, ensure_ascii=False))


if __name__ == "__main__":
    main()
