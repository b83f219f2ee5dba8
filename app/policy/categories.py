"""Which kind of problem the text describes, and the words that say so.

The category of the most specific matched phrase wins, specific meaning more words ("password
reset" beats "fraud"); ties go by the configured order, so a single-word clash such as "fraud" and
"threshold" goes to fraud_attack, which pages on-call, rather than to whichever word is longer. A
keyword is looked for only when all its words are among the text's words (a set look-up), so most
texts need one short pattern or none.

Policy 1.1 (POLICY.md section 7): a keyword inside one of its configured other-sense phrases
("write down", "heart attack") does not count, and a status code (500, 502, 503, 504) counts only
with a context word ("HTTP", "error", "failing", ...) within three words in the same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.policy.config import Policy, StatusCodes
from app.policy.fields import ReadField, word_set
from app.policy.model import Evidence
from app.policy.terms import NOT_BEFORE_WORD

EVIDENCE_PER_CATEGORY = 5
# A number keyword ("503") is a standalone number, not part of 1503, 503.2, 5,030, $503 or 503%.
_NOT_BEFORE_NUMBER = r"(?![\w%]|[.,]\d)"
_NUMBER_PREFIXES = "$€£.,"
# What the status-code rule reads around a number: words, and sentence ends that stop it.
_CONTEXT_ITEM = re.compile(r"(?P<word>[^\W_]+)|[.!?\u2026]+(?=\s|$)|\n[^\S\n]*\n")
CONTEXT_CHARS_PER_WORD = 25


@dataclass(frozen=True)
class CategoryMatch:
    category: str | None  # None when no keyword matched
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class _Keywords:
    category_of: dict[str, str]  # keyword (normalised) -> category
    words_of: dict[str, frozenset[str]]  # keyword -> the words it needs, for the quick check
    needing: dict[str, tuple[str, ...]]  # word -> the keywords that need it
    # keyword -> (phrase pattern, the words the phrase needs) for its other senses
    exclusions: dict[str, tuple[tuple[re.Pattern[str], frozenset[str]], ...]]
    # the keys of `needing` and `exclusions`: a frozenset intersects another fastest
    needed_words: frozenset[str]
    excluded_keywords: frozenset[str]


def normalise(found: str) -> str:
    return " ".join(found.lower().replace("\u2019", "'").split())


def keyword_pattern(keyword: str) -> str:
    """Starts with the keyword's letters; the left boundary is checked in `_starts_keyword`."""
    if keyword.isdigit():
        return re.escape(keyword) + _NOT_BEFORE_NUMBER
    words = [re.escape(w).replace("'", "['\u2019]") for w in keyword.split()]
    return r"\s+".join(words) + NOT_BEFORE_WORD


@lru_cache(maxsize=16)
def _keywords(policy: Policy) -> _Keywords:
    category_of: dict[str, str] = {}
    for name in policy.categories.order:  # an earlier category keeps a shared keyword
        for keyword in policy.categories.keywords[name]:
            category_of.setdefault(normalise(keyword), name)
    words_of = {k: frozenset(k.replace("'", " ").split()) for k in category_of}
    needing: dict[str, tuple[str, ...]] = {}
    for keyword, needed in words_of.items():
        for word in needed:
            needing[word] = (*needing.get(word, ()), keyword)
    exclusions = {
        normalise(keyword): tuple(
            (re.compile(r"(?<![^\W_])" + keyword_pattern(phrase)), word_set(phrase)) for phrase in phrases
        )
        for keyword, phrases in policy.categories.not_in_phrases.items()
    }
    return _Keywords(category_of, words_of, needing, exclusions, frozenset(needing), frozenset(exclusions))


@lru_cache(maxsize=256)
def _pattern_for(keywords: frozenset[str]) -> re.Pattern[str]:
    longest_first = sorted(keywords, key=lambda k: (-len(k), k))
    return re.compile("|".join(f"(?:{keyword_pattern(k)})" for k in longest_first))


def _starts_keyword(lowered: str, start: int, keyword: str) -> bool:
    if start == 0:
        return True
    before = lowered[start - 1]
    if keyword.isdigit():
        return not (before.isalnum() or before == "_" or before in _NUMBER_PREFIXES)
    return not before.isalnum()


def categorize(fields: list[ReadField], policy: Policy) -> CategoryMatch:
    """The category of `fields` (in reading order) and the words that decided it."""
    keywords = _keywords(policy)
    first_seen: dict[str, tuple[ReadField, int, int]] = {}  # keyword -> its first occurrence
    for field_text in fields:
        lowered, words = field_text.lowered, field_text.words
        present = frozenset(
            keyword
            for word in words & keywords.needed_words
            for keyword in keywords.needing[word]
            if keywords.words_of[keyword] <= words
        )
        if not present:
            continue
        excluded = _excluded_spans(field_text, present, keywords)
        for match in _pattern_for(present).finditer(lowered):
            keyword = normalise(match.group())
            if keyword in first_seen or not _starts_keyword(lowered, match.start(), keyword):
                continue
            if any(start <= match.start() and match.end() <= end for start, end in excluded.get(keyword, ())):
                continue  # "write down", "heart attack": another sense of the word
            if keyword in policy.categories.status_codes.codes and not _has_status_context(
                lowered, match.start(), match.end(), policy.categories.status_codes
            ):
                continue  # "re-run the 500 applications"
            first_seen[keyword] = (field_text, match.start(), match.end())
    if not first_seen:
        return CategoryMatch(None, ())
    order = policy.categories.order

    def specificity(keyword: str) -> tuple[int, int]:
        return len(keywords.words_of[keyword]), -order.index(keywords.category_of[keyword])

    deciding = max(first_seen, key=specificity)
    winner = keywords.category_of[deciding]
    others = [k for k in first_seen if keywords.category_of[k] == winner and k != deciding]
    shown = [deciding, *others[: EVIDENCE_PER_CATEGORY - 1]]
    return CategoryMatch(winner, tuple(_evidence(winner, *first_seen[k]) for k in shown))


def _evidence(category: str, field_text: ReadField, start: int, end: int) -> Evidence:
    return field_text.evidence("category", category, start, end)


def _excluded_spans(
    field_text: ReadField, present: frozenset[str], keywords: _Keywords
) -> dict[str, list[tuple[int, int]]]:
    """keyword -> the spans of its other-sense phrases in this field (only phrases whose words are all here)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for keyword in present & keywords.excluded_keywords:
        for pattern, needed in keywords.exclusions[keyword]:
            if needed <= field_text.words:
                spans.setdefault(keyword, []).extend(m.span() for m in pattern.finditer(field_text.lowered))
    return spans


def _has_status_context(lowered: str, start: int, end: int, rule: StatusCodes) -> bool:
    """A context word or phrase within `rule.window` words of the number, in the same sentence."""
    reach = CONTEXT_CHARS_PER_WORD * (rule.window + 3)
    before = _sentence_words(lowered[max(0, start - reach) : start], from_end=True)
    after = _sentence_words(lowered[end : end + reach], from_end=False)
    for context in rule.context:
        size = len(context.split())
        # the phrase must touch the window: end within it before the number, start within it after
        near_before = " ".join(before[-(rule.window + size - 1) :])
        near_after = " ".join(after[: rule.window + size - 1])
        if _has_phrase(near_before, context) or _has_phrase(near_after, context):
            return True
    return False


def _sentence_words(text: str, from_end: bool) -> list[str]:
    """The words of `text` on the number's side of any sentence end in it."""
    words: list[str] = []
    for item in _CONTEXT_ITEM.finditer(text):
        if item.group("word") is None:
            if from_end:
                words = []  # a sentence end before the number: start again after it
                continue
            break
        words.append(item.group("word"))
    return words


def _has_phrase(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "
