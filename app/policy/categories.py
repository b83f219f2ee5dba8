"""Which kind of problem the text describes, and the words that say so.

The category of the most specific matched phrase wins, specific meaning more words ("password
reset" beats "fraud"); ties go by the configured order, so a single-word clash such as "fraud" and
"threshold" goes to fraud_attack, which pages on-call, rather than to whichever word is longer. A keyword is looked for only when all its words are among the text's
words (a set look-up), so most texts need one short pattern or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.policy.config import Policy
from app.policy.model import Evidence
from app.policy.terms import NOT_BEFORE_WORD, context_around

EVIDENCE_PER_CATEGORY = 5
# A number keyword ("503") is a standalone number, not part of 1503, 503.2, 5,030, $503 or 503%.
_NOT_BEFORE_NUMBER = r"(?![\w%]|[.,]\d)"
_NUMBER_PREFIXES = "$€£.,"


@dataclass(frozen=True)
class CategoryMatch:
    category: str | None  # None when no keyword matched
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class _Keywords:
    category_of: dict[str, str]  # keyword (normalised) -> category
    words_of: dict[str, frozenset[str]]  # keyword -> the words it needs, for the quick check


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
    return _Keywords(category_of, words_of)


@lru_cache(maxsize=256)
def _pattern_for(keywords: frozenset[str]) -> re.Pattern:
    longest_first = sorted(keywords, key=lambda k: (-len(k), k))
    return re.compile("|".join(f"(?:{keyword_pattern(k)})" for k in longest_first))


def _starts_keyword(lowered: str, start: int, keyword: str) -> bool:
    if start == 0:
        return True
    before = lowered[start - 1]
    if keyword.isdigit():
        return not (before.isalnum() or before == "_" or before in _NUMBER_PREFIXES)
    return not before.isalnum()


def categorize(fields: list[tuple[str, str, str, set[str]]], policy: Policy) -> CategoryMatch:
    """`fields` holds (field name, text, lower-cased text, its words) in reading order."""
    keywords = _keywords(policy)
    first_seen: dict[str, Evidence] = {}  # keyword -> its first occurrence
    for field_name, text, lowered, words in fields:
        present = frozenset(k for k, needed in keywords.words_of.items() if needed <= words)
        if not present:
            continue
        for match in _pattern_for(present).finditer(lowered):
            keyword = normalise(match.group())
            if keyword in first_seen or not _starts_keyword(lowered, match.start(), keyword):
                continue
            first_seen[keyword] = Evidence(
                kind="category",
                label=keywords.category_of[keyword],
                text=text[match.start() : match.end()],
                field=field_name,
                offset=match.start(),
                context=context_around(text, match.start(), match.end()),
            )
    if not first_seen:
        return CategoryMatch(None, ())
    order = policy.categories.order

    def specificity(keyword: str) -> tuple[int, int]:
        return len(keywords.words_of[keyword]), -order.index(keywords.category_of[keyword])

    deciding = max(first_seen, key=specificity)
    winner = keywords.category_of[deciding]
    others = [e for k, e in first_seen.items() if e.label == winner and k != deciding]
    return CategoryMatch(winner, (first_seen[deciding], *others[: EVIDENCE_PER_CATEGORY - 1]))
