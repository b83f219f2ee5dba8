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

from app.policy.config import Policy
from app.policy.fields import ReadField
from app.policy.model import NONE, TIME_SENSITIVE, URGENT, Evidence

# A word character is a letter or a digit; "_" separates words like "-" does.
NOT_BEFORE_WORD = r"(?![^\W_])"
_WORDS = re.compile(r"[^\W_]+")
# A blank line (POLICY.md section 7: "time" and "sensitive" a paragraph apart are no term).
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


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


# Sentence ends; the configured clause breaks are added to these.
SENTENCE_ENDS = ".!?\u2026"


# The term pattern starts with its fixed letters (no leading lookbehind) so the regex engine can
# skip ahead to candidates quickly; its left word boundary is checked in code (`_starts_word`).
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
    return _Patterns(
        term=re.compile(term),
        time_pair=re.compile(time_pair),
        # "non" + any run of spaces or dashes right before the term: "non-urgent", "non - urgent"
        prefix_before=re.compile(rf"(?<![^\W_])(?:{prefixes})[\s{dashes}]*\Z"),
        # What negation reads before a term: a word (an inner apostrophe keeps it whole: "isn't"),
        # a sentence end or clause break ending a word (not "v2.0" or "3,000"), or a blank line.
        scope_item=re.compile(rf"(?P<word>[^\W_]+(?:['\u2019][^\W_]+)*)|[{breaks}]+(?![^\W_])|\n[^\S\n]*\n"),
    )


def scan_terms(field_text: ReadField, policy: Policy) -> TermScan:
    """Exact terms (with negation) and, when nothing counts, near misses in one field."""
    lowered = field_text.lowered
    scan = TermScan()
    report = policy.near_miss.max_reported
    for match in _patterns(policy).term.finditer(lowered):
        start = match.start()
        attached = _attached_prefix(lowered, start, policy)
        if attached is None:
            continue  # inside a longer word: "insurgent"
        if match.group("time_sensitive") and BLANK_LINE.search(match.group()):
            continue  # a paragraph apart: not a term, and not a near miss either
        negator = attached or negated_by(lowered, start, policy)
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
        scan.near_misses = find_near_misses(field_text, policy, scan.negated)
    return scan


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


@lru_cache(maxsize=16)
def _negation_hints(policy: Policy) -> tuple[str, ...]:
    phrases = tuple(" ".join(phrase) for phrase in policy.negation.phrases)
    return tuple(policy.negation.words) + policy.negation.contraction_suffixes + phrases


def negated_by(lowered: str, start: int, policy: Policy) -> str | None:
    """The negating word within the window before `start`, in the same sentence or clause.

    A sentence end (. ! ? or … ending a word, or a blank line), a clause break (, ; : by default)
    or a clause word ("but") between the negator and the term ends its reach: "No, this is
    urgent" escalates. Words are letters and digits ("not-so-urgent" has "not" and "so"); an
    apostrophe inside a word keeps it whole ("isn't", "it's"), and "nothing's" reads as "nothing".
    """
    negation = policy.negation
    patterns = _patterns(policy)
    prefix = patterns.prefix_before.search(lowered, max(0, start - PREFIX_LOOKBACK_CHARS), start)
    if prefix:
        return _prefix_word(prefix.group())
    lookback = max(0, start - LOOKBACK_CHARS_PER_WORD * (negation.window + 1))
    before = lowered[lookback:start]
    if not any(hint in before for hint in _negation_hints(policy)):
        return None  # fast path: no negating word can be in there
    items = list(patterns.scope_item.finditer(before))
    if items and lookback > 0 and items[0].start() == 0 and lowered[lookback - 1].isalnum():
        items.pop(0)  # a word cut in half by the look-back
    counted = 0
    for index in range(len(items) - 1, -1, -1):
        word = items[index].group("word")
        if word is None:
            return None  # a sentence end, clause break or blank line
        phrase = _negating_phrase(items, index, negation.phrases)
        if phrase:
            return phrase
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


def _negating_phrase(items: list[re.Match[str]], index: int, phrases: tuple[tuple[str, ...], ...]) -> str:
    """The negating phrase ("can not") that ends with the word at `index`, if any."""
    for phrase in phrases:
        first = index - len(phrase) + 1
        if first >= 0 and tuple(item.group("word") for item in items[first : index + 1]) == phrase:
            return " ".join(phrase)
    return ""


LOOKBACK_CHARS_PER_WORD = 25
PREFIX_LOOKBACK_CHARS = 16
_APOSTROPHE = re.compile("['\u2019]")


def _prefix_word(prefix: str | None) -> str:
    """'non-' -> 'non': the prefix as the note names it."""
    return "".join(c for c in prefix if c.isalpha()) if prefix else ""


def find_near_misses(field_text: ReadField, policy: Policy, negated: list[Evidence]) -> list[Evidence]:
    """Misspellings and derived forms of the terms that are not themselves negated."""
    lowered = field_text.lowered
    found: list[Evidence] = []
    for start, end, label in _near_miss_spans(lowered, field_text.words, policy):
        negator = _attached_prefix(lowered, start, policy) or negated_by(lowered, start, policy)
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
