"""The fields the policy reads, each as the note quotes it and as matching reads it.

`readable_fields` picks the text (POLICY.md section 1, "Where the service looks"), reduces HTML,
removes quoted reply text and normalises look-alike and invisible characters (section 7). Every
finder matches on `ReadField.lowered` and makes its evidence with `ReadField.evidence`, which
quotes the customer's original words.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from app.policy.config import Policy
from app.policy.model import COMMENT, CREATED, Evidence, TicketText
from app.policy.normalize import Normalised, normalise
from app.policy.text import html_to_text_and_links, normalize_newlines, remove_quoted

EVENTS = (CREATED, COMMENT)
CONTEXT_CHARS = 40
LINK_FIELD = "link"

# Splitting on these (and whitespace) gives the words of a text quickly, for set look-ups.
_SEPARATORS = str.maketrans(
    {c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d\u2010\u2011\u2013\u2014\u2026\u00ab\u00bb\u00a0"}
)


@dataclass(frozen=True)
class ReadField:
    """One field: `original` is the cleaned text the note quotes (HTML reduced, quotes removed);
    `text` is it normalised, `lowered` the same in lower case with the same length, `words` its
    distinct words. Offsets of `text` and `lowered` map back through `normalised.span`."""

    name: str
    original: str
    normalised: Normalised
    lowered: str
    words: frozenset[str]

    @property
    def text(self) -> str:
        return self.normalised.text

    def evidence(self, kind: str, label: str, start: int, end: int, negator: str = "") -> Evidence:
        """Evidence for `text[start:end]`, quoting the original words and their context."""
        first, last = self.normalised.span(start, end)
        return Evidence(
            kind=kind,
            label=label,
            text=self.original[first:last],
            field=self.name,
            offset=first,
            context=context_around(self.original, first, last),
            negator=negator,
        )


def read_field(name: str, original: str) -> ReadField:
    normalised = normalise(original)
    lowered = lower_same_length(normalised.text)
    return ReadField(name, original, normalised, lowered, word_set(lowered))


def readable_fields(ticket: TicketText, policy: Policy) -> tuple[list[ReadField], ReadField | None]:
    """(subject and description, or the comment body), and the body's HTML link targets if any."""
    if ticket.event not in EVENTS:
        raise ValueError(f"event must be one of {', '.join(EVENTS)}, got {ticket.event!r}")
    links: tuple[str, ...] = ()
    body = ticket.body
    if ticket.body_is_html:
        body, links = html_to_text_and_links(body, policy.quotes.forwarded_markers)
    body = remove_quoted(normalize_newlines(body), policy.quotes)
    fields = [read_field("body", body)]
    if ticket.event == CREATED:
        fields.insert(0, read_field("subject", " ".join(normalize_newlines(ticket.subject).split())))
    return fields, read_field(LINK_FIELD, "\n".join(links)) if links else None


def word_set(lowered: str) -> frozenset[str]:
    """The distinct words (letters and digits) of a lower-cased text."""
    return frozenset(lowered.translate(_SEPARATORS).split())


def lower_same_length(text: str) -> str:
    """Lower case, keeping every character at its offset (a few letters lower to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def context_around(text: str, start: int, end: int) -> str:
    """A few words either side of a match, on one line, cut at word boundaries."""
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    before = text[left:start]
    after = text[end:right]
    if left > 0 and " " in before:
        before = before[before.index(" ") + 1 :]
    if right < len(text) and " " in after:
        after = after[: after.rindex(" ")]
    snippet = " ".join((before + text[start:end] + after).split())
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) else ""
    return f"{prefix}{snippet}{suffix}"
