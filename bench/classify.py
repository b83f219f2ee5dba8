"""Throughput of the policy engine against the floor (one compiled regex), and hostile inputs.

Run: .venv/bin/python bench/classify.py [--quick]   (--quick: a tenth of the work, to check it runs)
"""

from __future__ import annotations

import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.policy import decide, load_policy
from app.policy.model import COMMENT, TicketText

SENTENCES = [
    "Hi team, we are seeing intermittent failures on the onboarding flow since this morning.",
    "Our developers checked the logs and the requests look fine on our side.",
    "Could you please take a look at the evaluation tokens below and let us know what happened?",
    "The dashboard shows the applications as pending review but the webhook never fired.",
    "We have a release planned for Thursday and would like to understand the impact before then.",
    "Thanks for the quick help last week, the agent who answered was very helpful.",
    "Let me know if you need anything else from us, happy to jump on a call.",
    "The current configuration uses the default threshold for the identity check.",
    "Some of our customers reported that the page was slow to load in the afternoon.",
    "Please find attached the screenshots from the sandbox environment.",
    "I am not sure whether this is expected behaviour or a regression on your side.",
    "Best regards, Jordan from the risk operations team.",
]
TERM_FLOOR = re.compile(r"\burgent\b|\btime[\s\-\u2010\u2011\u2013\u2014]+sensitive\b", re.IGNORECASE)


def realistic_bodies(count: int, size: int = 2048) -> list[str]:
    rng = random.Random(7)
    bodies = []
    for index in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(rng.choice(SENTENCES))
        if index % 10 == 0:
            parts.insert(rng.randrange(len(parts)), "This is urgent for us.")
        if index % 10 == 1:
            parts.insert(rng.randrange(len(parts)), "It is time sensitive.")
        bodies.append(" ".join(parts)[:size])
    return bodies


def rate(function, items, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


def timed(function, argument) -> float:
    started = time.perf_counter()
    function(argument)
    return time.perf_counter() - started


def main() -> None:
    scale = 10 if "--quick" in sys.argv[1:] else 1
    policy = load_policy()
    when = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    bodies = realistic_bodies(2000 // scale)
    tickets = [TicketText(COMMENT, "", body, when) for body in bodies]
    engine = rate(lambda ticket: decide(ticket, policy), tickets)
    floor = rate(TERM_FLOOR.search, bodies)
    print(f"2 KB comments, full engine (decide):      {engine:12,.0f} /s")
    print(f"2 KB comments, one compiled regex search: {floor:12,.0f} /s")
    print(f"engine / floor:                            {engine / floor:11.1%} (target >= 25%)")
    print()

    def body(text: str, html: bool = False) -> TicketText:
        return TicketText(COMMENT, "", text, when, body_is_html=html)

    hostile = {
        "'urgen ' repeated (plain)": lambda n: body("urgen " * (n // 6)),
        "nested <div> (HTML)": lambda n: body("<div>" * (n // 11) + "urgent" + "</div>" * (n // 11), True),
        "'> urgent' quoted lines": lambda n: body("> urgent\n" * (n // 9)),
        "'not urgent ' repeated": lambda n: body("not urgent " * (n // 11)),
        "'<a ' unclosed tags (HTML)": lambda n: body("<a " * (n // 3), True),
        "one 'On ...' line, no 'wrote:'": lambda n: body("On " + "urgen " * (n // 6) + "\n> x"),
        # Section 6 and 7: the deadline finder and the report checks on date-like text, and the
        # normaliser's offset map on text full of invisible and full-width characters.
        "date-like, time sensitive": lambda n: body("time sensitive " + "by 12/15 before Friday EOD 3/4 " * (n // 31)),
        "date-like, urgent incident": lambda n: body("URGENT outage since 9:40 1. call 2. see " * (n // 40)),
        "invisible characters": lambda n: body(
            "ur\u200bgent ti\u00adme \u200b\u200d\ufeff sens\u2060itive " * (n // 35)
        ),
        "full-width and ligatures": lambda n: body(
            "\uff35\uff32\uff27\uff25\uff2e\uff34 \ufb01x by \uff26riday " * (n // 20)
        ),
        # The worst cases of the above: no two negated terms with the same words before them (no
        # answer can be reused), a segment of the offset map for every character, and characters
        # that compose with each other (the normaliser's general path).
        "'not urgent <n>', all differ": lambda n: body("".join(f"not urgent {i} " for i in range(n // 17))),
        "'a' + ligature, alternating": lambda n: body("a\ufb01" * (n // 2)),
        "Hangul letters that compose": lambda n: body("\u3131\u314f " * (n // 3)),
    }
    sizes = {
        "'urgen ' repeated (plain)": (500_000, 1_000_000),
        "nested <div> (HTML)": (50_000, 100_000),
        "'> urgent' quoted lines": (45_000, 90_000),  # 5,000 and 10,000 lines
        "'not urgent ' repeated": (500_000, 1_000_000),
        "'<a ' unclosed tags (HTML)": (50_000, 100_000),
        "one 'On ...' line, no 'wrote:'": (500_000, 1_000_000),
        "date-like, time sensitive": (500_000, 1_000_000),
        "date-like, urgent incident": (500_000, 1_000_000),
        "invisible characters": (500_000, 1_000_000),
        "full-width and ligatures": (500_000, 1_000_000),
        "'not urgent <n>', all differ": (500_000, 1_000_000),
        "'a' + ligature, alternating": (500_000, 1_000_000),
        "Hangul letters that compose": (500_000, 1_000_000),
    }
    print("hostile input (seconds; linear means the larger takes about twice the smaller):")
    for name, make in hostile.items():
        small, large = (size // scale for size in sizes[name])
        t_small = timed(lambda t: decide(t, policy), make(small))
        t_large = timed(lambda t: decide(t, policy), make(large))
        print(f"  {name:30} {small:>9,} chars {t_small:7.3f} s   {large:>9,} chars {t_large:7.3f} s")


if __name__ == "__main__":
    main()
