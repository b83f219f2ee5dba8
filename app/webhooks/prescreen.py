"""Which queue an event waits on: a cheap look at the new text, so urgent work goes first under a backlog.

One compiled pattern, built from the policy's own words (config/policy.toml [terms] and
[near_miss]), scans the text once. It only orders the work: the worker still runs the whole engine
and makes the decision, so a false alarm costs nothing but a place in the line. A miss costs more:
an urgent event behind a backlog. So the pattern reads the text as the engine's term scan does,
through the engine's own functions: an HTML-only body as its visible text, then NFKC with the
invisible characters dropped (full-width URGENT, `ur<U+200B>gent`: app.policy.normalize), then
lower case. Everything the engine can find urgent comes first; what it can find time-sensitive
is never last (tests/webhooks/test_prescreen.py checks both against `decide`).

- urgent: the urgent term appears as a whole word (negated or not: the engine decides);
- soon: "time sensitive" (any joiner the policy allows), a word starting with a near-miss stem
  ("urgently", "urgency", "sensitivity"), or no text at all: trigger bodies (and messaging events
  that leave the text out) carry only ids, so they may be anything and wait in the middle;
- rest: everything else, and status changes (no policy action).

Misspellings the engine finds by edit distance ("urgnet") are not looked for here; they wait in
the last queue and are still decided.
"""

from __future__ import annotations

import re

from app.infra.queueing import REST, SOON, URGENT
from app.policy import Policy
from app.policy.fields import lower_same_length
from app.policy.normalize import normalise
from app.policy.text import html_to_text_and_links
from app.ticket_event import STATUS_CHANGED, TicketEvent

# Letters and digits make a word; anything else (space, punctuation, `_`, `#`) ends it.
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"


def lane_pattern(policy: Policy) -> re.Pattern[str]:
    terms, near = policy.terms, policy.near_miss
    joiners = "".join(re.escape(d) for d in terms.dashes)
    urgent = _START + re.escape(terms.urgent) + _END
    time_sensitive = _START + re.escape(terms.time_word) + rf"[\s{joiners}]+" + re.escape(terms.sensitive_word)
    stems = "|".join(re.escape(s) for s in (near.urgent_stem, near.sensitive_stem))
    return re.compile(rf"(?P<urgent>{urgent})|(?P<soon>{time_sensitive}|{_START}(?:{stems}))", re.IGNORECASE)


class Prescreen:
    def __init__(self, policy: Policy):
        self._pattern = lane_pattern(policy)

    def lane(self, event: TicketEvent) -> str:
        if event.kind == STATUS_CHANGED:
            return REST
        text = _new_text(event)
        if text is None:
            return SOON
        maybe_soon = False
        for match in self._pattern.finditer(lower_same_length(normalise(text).text)):
            if match.lastgroup == "urgent":
                return URGENT
            maybe_soon = True
        return SOON if maybe_soon else REST


def _new_text(event: TicketEvent) -> str | None:
    """The text the policy will read, or None when the body carried none (trigger webhooks, a
    messaging event without the message's text)."""
    if event.message is not None:
        return event.message["body"]
    if event.comment is not None:
        if event.comment["body"]:
            return event.comment["body"]
        return html_to_text_and_links(event.comment["html_body"])[0]
    if event.ticket is not None and event.comment_id is None:
        return event.ticket["subject"] + "\n" + event.ticket["description"]
    return None
