"""Finding the urgency terms in one field's text: exact terms, negation, near misses.

All matching runs on the field's normalised, lower-cased text (`ReadField.lowered`); evidence
maps the offsets back to the customer's original words. Every pattern is anchored on fixed
letters and has no nested repetition, so a scan is linear in the text whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.policy.config import Negation, Policy
from app.policy.fields import ReadField
from app.policy.model import NONE, TIME_SENSITIVE, URGENT, Evidence

# A word character is a letter or a digit; "_" separates words like "-" does.
NOT_BEFORE_WORD = r"(?![^\W_])"
_WORDS = re.compile(r"[^\W_]+")
# A blank line (POLICY.md section 7: "time" and "sensitive" a paragraph apart are no term).
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
# A space followed by something else: where `_scope_items` may start reading.
_WORD_START = re.compile(r"\s(?=\S)")


@dataclass
class TermScan:
    """What one field says about urgency."""

    level: str = NONE
    terms: list[Evidence] = field(default_factory=list)
    negated: list[Evidence] = field(default_factory=list)
    near_misses: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class _Patterns:
    term: re.Pattern[str]
    time_pair: re.Pattern[str]
    prefix_before: re.Pattern[str]
    scope_item: re.Pattern[str]
    # The look-back's items can be read from the nearest such place (see `_scope_items`); None when
    # a configured clause break is a space, which an item could then span.
    word_start: re.Pattern[str] | None
    hints: tuple[str, ...]  # a negation needs one of these in the look-back
    phrases_ending: dict[str, tuple[tuple[str, ...], ...]]  # last word -> the negating phrases it ends
    items_needed: int  # items before a term that decide its negation: the window, and a phrase's head


# Sentence ends; the configured clause breaks are added to these.
SENTENCE_ENDS = ".!?\u2026"


# The term pattern starts with its fixed letters (no leading lookbehind), so it is tried only where
# they stand (`_term_matches`); its left word boundary is checked in code (`_starts_word`).
@lru_cache(maxsize=16)
def _patterns(policy: Policy) -> _Patterns:
    terms, negation = policy.terms, policy.negation
    dashes = "".join(re.escape(d) for d in terms.dashes)
    prefixes = "|".join(re.escape(p) for p in negation.prefixes) or r"(?!x)x"
    breaks = "".join(re.escape(c) for c in SENTENCE_ENDS + negation.clause_breaks)
    term = (
        rf"(?:(?P<urgent>{re.escape(terms.urgent)})"
        + rf"|(?P<time_sensitive>{re.escape(terms.time_word)}[\s{dashes}]+{re.escape(terms.sensitive_word)}))"
        + NOT_BEFORE_WORD
    )
    # The lookahead keeps the following word unconsumed: "time time senstive" has a pair too.
    # Only a "time" that starts a word is looked at: the lookahead reads the following word, and
    # doing that from every "time" inside "timetimetime..." would be quadratic.
    time_pair = (
        rf"(?<![^\W_]){re.escape(terms.time_word)}"
        rf"(?=(?P<joiner>[\s_/{dashes}]{{0,3}})(?P<word>[^\W\d_]+))"
    )
    phrases_ending: dict[str, tuple[tuple[str, ...], ...]] = {}
    for phrase in negation.phrases:
        if phrase:
            phrases_ending[phrase[-1]] = (*phrases_ending.get(phrase[-1], ()), phrase)
    return _Patterns(
        term=re.compile(term),
        time_pair=re.compile(time_pair),
        # "non" + any run of spaces or dashes right before the term: "non-urgent", "non - urgent"
        prefix_before=re.compile(rf"(?<![^\W_])(?:{prefixes})[\s{dashes}]*\Z"),
        # What negation reads before a term: a word (an inner apostrophe keeps it whole: "isn't"),
        # a sentence end or clause break ending a word (not "v2.0" or "3,000"), or a blank line.
        # Its one group is the word (empty for the others), so `findall` lists the items.
        scope_item=re.compile(rf"(?P<word>[^\W_]+(?:['\u2019][^\W_]+)*)|[{breaks}]+(?![^\W_])|\n[^\S\n]*\n"),
        word_start=None if any(c.isspace() for c in SENTENCE_ENDS + negation.clause_breaks) else _WORD_START,
        hints=_negation_hints(negation),
        phrases_ending=phrases_ending,
        items_needed=negation.window + max([1, *(len(phrase) for phrase in negation.phrases)]) - 1,
    )


def _negation_hints(negation: Negation) -> tuple[str, ...]:
    """What a look-back must hold for a negation: the negators, shortest first and without
    those that hold a shorter one ("no" is in "not" and "nothing"), so the check is short."""
    hints = {*negation.words, *negation.contraction_suffixes, *(" ".join(p) for p in negation.phrases)}
    return tuple(sorted((h for h in hints if not any(o != h and o in h for o in hints)), key=lambda h: (len(h), h)))


def scan_terms(field_text: ReadField, policy: Policy) -> TermScan:
    """Exact terms (with negation) and, when nothing counts, near misses in one field."""
    lowered = field_text.lowered
    scan = TermScan()
    report = policy.near_miss.max_reported
    negation = NegationReader(lowered, policy)
    for match in _term_matches(lowered, policy):
        start = match.start()
        attached = _attached_prefix(lowered, start, policy)
        if attached is None:
            continue  # inside a longer word: "insurgent"
        if match.group("time_sensitive") and BLANK_LINE.search(match.group()):
            continue  # a paragraph apart: not a term, and not a near miss either
        negator = attached or negation.negator(start)
        level = URGENT if match.group("urgent") else TIME_SENSITIVE
        if negator:
            if len(scan.negated) < report:
                scan.negated.append(field_text.evidence("negated", level, start, match.end(), negator))
            continue
        if len(scan.terms) < report:
            scan.terms.append(field_text.evidence("term", level, start, match.end()))
        if level == URGENT or scan.level == NONE:
            scan.level = level
        if scan.level == URGENT and len(scan.terms) >= report:
            break
    if scan.level == NONE:
        scan.near_misses = find_near_misses(field_text, policy, scan.negated, negation)
    return scan


def _term_matches(lowered: str, policy: Policy) -> Iterator[re.Match[str]]:
    """The term pattern's matches, the same as its `finditer` gives, tried only where a term's
    first word stands: every match starts with one, and `str.find` passes over a 2 KB comment
    with neither in a tenth of the time the regex engine takes to scan it. "time" is looked for
    only when "sensitive" is in the text. Each word's next place is looked for again only once
    the scan has passed it, so the whole is linear."""
    terms = policy.terms
    pattern = _patterns(policy).term
    urgent_at = lowered.find(terms.urgent)
    time_at = lowered.find(terms.time_word) if terms.sensitive_word in lowered else -1
    while urgent_at >= 0 or time_at >= 0:
        candidate = urgent_at if time_at < 0 or 0 <= urgent_at < time_at else time_at
        match = pattern.match(lowered, candidate)
        position = match.end() if match else candidate + 1
        if match:
            yield match
        if 0 <= urgent_at < position:
            urgent_at = lowered.find(terms.urgent, position)
        if 0 <= time_at < position:
            time_at = lowered.find(terms.time_word, position)


def _starts_word(lowered: str, start: int) -> bool:
    return start == 0 or not lowered[start - 1].isalnum()


def _attached_prefix(lowered: str, start: int, policy: Policy) -> str | None:
    """'' at a word start, the prefix for "nonurgent", None inside any other word."""
    if _starts_word(lowered, start):
        return ""
    for prefix in policy.negation.prefixes:
        if lowered.endswith(prefix, 0, start) and _starts_word(lowered, start - len(prefix)):
            return prefix
    return None


class NegationReader:
    """`negated_by` for the terms of one text, each distinct look-back read once.

    Everything `negated_by` reads lies within `reach` characters before the term (the look-back
    and the character before it), so those characters decide the answer; a long text often
    repeats them ("not urgent not urgent ..."), and the answer for each is kept (up to a bound),
    so such a text costs a dictionary look-up per term. Detection still looks at every term.
    """

    def __init__(self, lowered: str, policy: Policy) -> None:
        self.lowered = lowered
        self.policy = policy
        self.reach = max(LOOKBACK_CHARS_PER_WORD * (policy.negation.window + 1), PREFIX_LOOKBACK_CHARS) + 1
        self.known: dict[str, str | None] = {}

    def negator(self, start: int) -> str | None:
        read = self.lowered[max(0, start - self.reach) : start]
        if read in self.known:
            return self.known[read]
        found = negated_by(self.lowered, start, self.policy)
        if len(self.known) < MAX_KEPT_LOOKBACKS:
            self.known[read] = found
        return found


def negated_by(lowered: str, start: int, policy: Policy) -> str | None:
    """The negating word within the window before `start`, in the same sentence or clause.

    A sentence end (. ! ? or … ending a word, or a blank line), a clause break (, ; : by default)
    or a clause word ("but") between the negator and the term ends its reach: "No, this is
    urgent" escalates. Words are letters and digits ("not-so-urgent" has "not" and "so"); an
    apostrophe inside a word keeps it whole ("isn't", "it's"), and "nothing's" reads as "nothing".
    """
    patterns = _patterns(policy)
    prefix = patterns.prefix_before.search(lowered, max(0, start - PREFIX_LOOKBACK_CHARS), start)
    if prefix:
        return _prefix_word(prefix.group())
    lookback = max(0, start - LOOKBACK_CHARS_PER_WORD * (policy.negation.window + 1))
    before = lowered[lookback:start]
    if not any(hint in before for hint in patterns.hints):
        return None  # fast path: no negating word can be in there
    return _negator_among(_scope_items(lowered, lookback, start, patterns), policy.negation, patterns)


def _scope_items(lowered: str, lookback: int, start: int, patterns: _Patterns) -> list[str]:
    """The items of `lowered[lookback:start]` (a word, or "" for a sentence end, clause break or
    blank line), or enough of the last ones to decide a negation.

    Most terms are decided by the few items right before them, so the items are first read from
    a word start shortly before the term: no item holds both a space and something else, so none
    spans a space followed by a non-space, and the items read from there are exactly the last of
    the whole look-back's items. This keeps the cost per term small when every term in a long
    text is negated ("not urgent not urgent ..."). With too few of them, the whole look-back is read.
    """
    if patterns.word_start is not None:
        near = patterns.word_start.search(lowered, max(lookback, start - NEAR_LOOKBACK_CHARS), start)
        if near:
            items = patterns.scope_item.findall(lowered, near.end(), start)
            if len(items) >= patterns.items_needed:
                return items
    return _all_scope_items(lowered, lookback, start, patterns)


def _all_scope_items(lowered: str, lookback: int, start: int, patterns: _Patterns) -> list[str]:
    before = lowered[lookback:start]
    items = patterns.scope_item.findall(before)
    if items and lookback > 0 and lowered[lookback - 1].isalnum() and patterns.scope_item.match(before):
        items.pop(0)  # a word cut in half by the look-back
    return items


def _negator_among(items: list[str], negation: Negation, patterns: _Patterns) -> str | None:
    """The negator among the items before a term, read backwards: at most `window` words, and
    the words of a negating phrase before the last of them (`_Patterns.items_needed`)."""
    counted = 0
    for index in range(len(items) - 1, -1, -1):
        word = items[index]
        if not word:
            return None  # a sentence end, clause break or blank line
        for phrase in patterns.phrases_ending.get(word, ()):
            first = index - len(phrase) + 1
            if first >= 0 and tuple(items[first : index + 1]) == phrase:
                return " ".join(phrase)
        if word in negation.words or word.endswith(negation.contraction_suffixes):
            return word
        head = _APOSTROPHE.split(word, 1)[0]
        if head != word and head in negation.words:
            return head  # "nothing's urgent"
        if word in negation.clause_break_words:
            return None
        counted += 1  # noqa: SIM113 (only words count; breaks and negators return)
        if counted >= negation.window:
            return None
    return None


LOOKBACK_CHARS_PER_WORD = 25
PREFIX_LOOKBACK_CHARS = 16
NEAR_LOOKBACK_CHARS = 32  # where `_scope_items` first reads from
MAX_KEPT_LOOKBACKS = 4096  # answers `NegationReader` keeps: under a megabyte
_APOSTROPHE = re.compile("['\u2019]")


def _prefix_word(prefix: str | None) -> str:
    """'non-' -> 'non': the prefix as the note names it."""
    return "".join(c for c in prefix if c.isalpha()) if prefix else ""


def find_near_misses(
    field_text: ReadField, policy: Policy, negated: list[Evidence], negation: NegationReader
) -> list[Evidence]:
    """Misspellings and derived forms of the terms that are not themselves negated."""
    lowered = field_text.lowered
    found: list[Evidence] = []
    for start, end, label in _near_miss_spans(lowered, field_text.words, policy):
        negator = _attached_prefix(lowered, start, policy) or negation.negator(start)
        if negator:
            if len(negated) < policy.near_miss.max_reported:
                negated.append(field_text.evidence("negated", label, start, end, negator))
            continue
        found.append(field_text.evidence("near_miss", label, start, end))
        if len(found) >= policy.near_miss.max_reported:
            break
    found.sort(key=lambda e: e.offset)
    return found


def _near_miss_spans(lowered: str, words: frozenset[str], policy: Policy) -> Iterator[tuple[int, int, str]]:
    """(start, end, label) of each candidate, in text order per kind."""
    yield from _urgent_near_misses(lowered, words, policy)
    yield from _time_sensitive_near_misses(lowered, policy)


def _urgent_near_misses(lowered: str, words: frozenset[str], policy: Policy) -> Iterator[tuple[int, int, str]]:
    near, term = policy.near_miss, policy.terms.urgent
    close = {
        word
        for word, _, _ in process.extract(
            term, words, scorer=OSA.distance, score_cutoff=near.urgent_max_edits, limit=None
        )
        if word != term and len(word) >= near.min_word_length
    }
    if near.urgent_stem in lowered:
        close.update(w for w in words if w.startswith(near.urgent_stem) and w != term)
    close -= near.ordinary_words
    if not close:
        return
    for match in _WORDS.finditer(lowered):
        if match.group() in close:
            yield match.start(), match.end(), URGENT


def _time_sensitive_near_misses(lowered: str, policy: Policy) -> Iterator[tuple[int, int, str]]:
    terms, near = policy.terms, policy.near_miss
    if terms.time_word not in lowered:
        return
    for match in _patterns(policy).time_pair.finditer(lowered):  # "sometimes" never matches
        word, joiner = match.group("word"), match.group("joiner")
        if word in near.ordinary_words or BLANK_LINE.search(joiner):
            continue
        if word == terms.sensitive_word and _is_term_joiner(joiner, terms.dashes):
            continue  # the exact term, counted (or negated) already
        similar = (
            word.startswith(near.sensitive_stem)
            or OSA.distance(word, terms.sensitive_word, score_cutoff=near.sensitive_max_edits)
            <= near.sensitive_max_edits
        )
        if similar:
            yield match.start(), match.end("word"), TIME_SENSITIVE


def _is_term_joiner(joiner: str, dashes: tuple[str, ...]) -> bool:
    return bool(joiner) and all(c.isspace() or c in dashes for c in joiner)
