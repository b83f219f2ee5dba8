"""Load and validate config/policy.toml into a frozen `Policy`.

Every policy default lives in that one file; this module only reads it, checks each key and
fails fast with the key's name. Nothing here knows about Flask, Redis or HTTP.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "config" / "policy.toml"
CATEGORY_NAMES = ("fraud_attack", "incident", "account_access", "workflow_update")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DUE_FIELD_TYPES = ("date", "text")
LEVEL_NAMES = ("urgent", "time_sensitive")  # the levels the urgency field is written for


class PolicyError(ValueError):
    """The policy file is missing, unreadable or has a bad key; the message names the key."""


@dataclass(frozen=True)
class Terms:
    urgent: str
    time_word: str
    sensitive_word: str
    dashes: tuple[str, ...]


@dataclass(frozen=True)
class Negation:
    words: frozenset[str]
    contraction_suffixes: tuple[str, ...]
    window: int
    prefixes: tuple[str, ...]
    clause_breaks: str
    clause_break_words: frozenset[str]


@dataclass(frozen=True)
class NearMiss:
    urgent_stem: str
    urgent_max_edits: int
    sensitive_stem: str
    sensitive_max_edits: int
    min_word_length: int
    ordinary_words: frozenset[str]
    max_reported: int


@dataclass(frozen=True)
class Categories:
    order: tuple[str, ...]  # tie order, most important first
    fallback: str
    keywords: dict[str, tuple[str, ...]]  # category -> keywords, lower case

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.order, self.fallback)


@dataclass(frozen=True)
class Hours:
    time_zone: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    open: time
    close: time
    holidays: frozenset[date]


@dataclass(frozen=True)
class Targets:
    urgent_elapsed_minutes: int
    time_sensitive_business_hours: float


@dataclass(frozen=True)
class Tags:
    urgent: str
    time_sensitive: str
    near_miss: str
    category_prefix: str
    after_hours: str
    on_call_paged: str
    next_business_day: str
    public_reply_sent: str

    def category(self, name: str) -> str:
        return self.category_prefix + name


@dataclass(frozen=True)
class PublicReply:
    enabled: bool
    text: str


@dataclass(frozen=True)
class AfterHours:
    page_categories: frozenset[str]
    public_reply: PublicReply


@dataclass(frozen=True)
class Quotes:
    cut_markers: tuple[str, ...]
    cut_lines: tuple[str, ...]
    wrote_header_start: str
    wrote_header_end: str
    wrote_header_max_chars: int
    outlook_from: str
    outlook_followers: tuple[str, ...]
    outlook_window: int


@dataclass(frozen=True)
class ZendeskFields:
    urgency_field_id: int
    category_field_id: int
    response_due_field_id: int
    response_due_field_type: str
    after_hours_field_id: int
    # Value written into the urgency / category field per level / category name (a dropdown's
    # option values); a name that is not listed is written as itself.
    urgency_values: dict[str, str] = field(default_factory=dict)
    category_values: dict[str, str] = field(default_factory=dict)


# eq=False: a policy is compared and hashed by identity, so compiled patterns can be cached per policy.
@dataclass(frozen=True, eq=False)
class Policy:
    terms: Terms
    negation: Negation
    near_miss: NearMiss
    categories: Categories
    hours: Hours
    targets: Targets
    tags: Tags
    after_hours: AfterHours
    quotes: Quotes
    zendesk: ZendeskFields
    source: str = ""


def default_policy_path() -> Path:
    """The project's config/policy.toml: beside the source (a checkout or an editable install),
    else in the working directory (a built package run from the project folder, as on Heroku)."""
    if DEFAULT_POLICY_PATH.is_file():
        return DEFAULT_POLICY_PATH
    return Path.cwd() / "config" / "policy.toml"


def load_policy(path: str | Path | None = None) -> Policy:
    """Read a policy file (default: `default_policy_path()`) and validate it."""
    policy_path = Path(path) if path is not None else default_policy_path()
    try:
        with policy_path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"policy file not found: {policy_path}") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{policy_path}: not valid TOML: {error}") from None
    return policy_from_dict(raw, source=str(policy_path))


def policy_from_dict(raw: dict[str, Any], source: str = "") -> Policy:
    reader = _Reader(raw, source)
    return Policy(
        terms=_terms(reader.section("terms")),
        negation=_negation(reader.section("negation")),
        near_miss=_near_miss(reader.section("near_miss")),
        categories=(categories := _categories(reader.section("categories"))),
        hours=_hours(reader.section("hours")),
        targets=_targets(reader.section("targets")),
        tags=_tags(reader.section("tags")),
        after_hours=_after_hours(reader.section("after_hours")),
        quotes=_quotes(reader.section("quotes")),
        zendesk=_zendesk(reader.section("zendesk"), categories.names),
        source=source,
    )


class _Reader:
    """Typed access to one TOML table; every error names the dotted key."""

    def __init__(self, table: dict[str, Any], source: str, prefix: str = ""):
        self.table = table
        self.source = source
        self.prefix = prefix

    def fail(self, key: str, problem: str) -> PolicyError:
        where = f"{self.source}: " if self.source else ""
        return PolicyError(f"{where}[{self.prefix}{key}] {problem}")

    def _get(self, key: str) -> Any:
        if key not in self.table:
            raise self.fail(key, "is missing")
        return self.table[key]

    def section(self, key: str) -> _Reader:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(value, self.source, f"{self.prefix}{key}.")

    def string(self, key: str, allow_empty: bool = False) -> str:
        value = self._get(key)
        if not isinstance(value, str) or (not allow_empty and not value):
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def strings(self, key: str, allow_empty_list: bool = False) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"must be a list of non-empty strings, got {value!r}")
        if not value and not allow_empty_list:
            raise self.fail(key, "must not be empty")
        return tuple(value)

    def integer(self, key: str, minimum: int = 0) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(key, f"must be a positive number, got {value!r}")
        return float(value)

    def string_map(self, key: str, names: tuple[str, ...]) -> dict[str, str]:
        """An optional inline table of `name = "value"` for the given names only."""
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f'must be a table of name = "value", got {value!r}')
        for name, item in value.items():
            if name not in names:
                raise self.fail(key, f"has {name!r}; known: {', '.join(names)}")
            if not isinstance(item, str) or not item:
                raise self.fail(key, f"{name} must be a non-empty string, got {item!r}")
        return dict(value)

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def clock(self, key: str) -> time:
        value = self.string(key)
        try:
            hours, minutes = value.split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            raise self.fail(key, f"must be 'HH:MM', got {value!r}") from None


def _terms(r: _Reader) -> Terms:
    return Terms(
        urgent=r.string("urgent").lower(),
        time_word=r.string("time_word").lower(),
        sensitive_word=r.string("sensitive_word").lower(),
        dashes=r.strings("dashes"),
    )


def _negation(r: _Reader) -> Negation:
    return Negation(
        words=frozenset(w.lower() for w in r.strings("words")),
        contraction_suffixes=tuple(s.lower() for s in r.strings("contraction_suffixes", True)),
        window=r.integer("window", minimum=1),
        prefixes=tuple(p.lower() for p in r.strings("prefixes", True)),
        clause_breaks=r.string("clause_breaks", allow_empty=True),
        clause_break_words=frozenset(w.lower() for w in r.strings("clause_break_words", True)),
    )


def _near_miss(r: _Reader) -> NearMiss:
    return NearMiss(
        urgent_stem=r.string("urgent_stem").lower(),
        urgent_max_edits=r.integer("urgent_max_edits"),
        sensitive_stem=r.string("sensitive_stem").lower(),
        sensitive_max_edits=r.integer("sensitive_max_edits"),
        min_word_length=r.integer("min_word_length", minimum=1),
        ordinary_words=frozenset(w.lower() for w in r.strings("ordinary_words", True)),
        max_reported=r.integer("max_reported", minimum=1),
    )


def _categories(r: _Reader) -> Categories:
    order = r.strings("order")
    for name in order:
        if name not in CATEGORY_NAMES:
            raise r.fail("order", f"names unknown category {name!r}; known: {', '.join(CATEGORY_NAMES)}")
    missing = set(CATEGORY_NAMES) - set(order)
    if missing:
        raise r.fail("order", f"must list every category; missing {', '.join(sorted(missing))}")
    keywords = {name: tuple(k.lower() for k in r.strings(name)) for name in order}
    return Categories(order=order, fallback=r.string("fallback"), keywords=keywords)


def _hours(r: _Reader) -> Hours:
    zone_name = r.string("time_zone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("time_zone", f"is not a known IANA time zone: {zone_name!r}") from None
    days = set()
    for name in r.strings("days"):
        if name.lower() not in DAY_NAMES:
            raise r.fail("days", f"has {name!r}; use {', '.join(DAY_NAMES)}")
        days.add(DAY_NAMES.index(name.lower()))
    opening, closing = r.clock("open"), r.clock("close")
    if opening >= closing:
        raise r.fail("close", f"must be after open ({opening:%H:%M}), got {closing:%H:%M}")
    holidays = set()
    for text in r.strings("holidays", allow_empty_list=True):
        try:
            holidays.add(date.fromisoformat(text))
        except ValueError:
            raise r.fail("holidays", f"has {text!r}; dates are 'YYYY-MM-DD'") from None
    return Hours(zone, frozenset(days), opening, closing, frozenset(holidays))


def _targets(r: _Reader) -> Targets:
    return Targets(
        urgent_elapsed_minutes=r.integer("urgent_elapsed_minutes", minimum=1),
        time_sensitive_business_hours=r.number("time_sensitive_business_hours"),
    )


def _tags(r: _Reader) -> Tags:
    names = (
        "urgent",
        "time_sensitive",
        "near_miss",
        "category_prefix",
        "after_hours",
        "on_call_paged",
        "next_business_day",
        "public_reply_sent",
    )
    return Tags(**{name: r.string(name) for name in names})


def _after_hours(r: _Reader) -> AfterHours:
    reply = r.section("public_reply")
    return AfterHours(
        page_categories=frozenset(r.strings("page_categories", allow_empty_list=True)),
        public_reply=PublicReply(enabled=reply.boolean("enabled"), text=reply.string("text")),
    )


def _quotes(r: _Reader) -> Quotes:
    return Quotes(
        cut_markers=r.strings("cut_markers", True),
        cut_lines=tuple(line.strip().lower() for line in r.strings("cut_lines", True)),
        wrote_header_start=r.string("wrote_header_start").lower(),
        wrote_header_end=r.string("wrote_header_end").lower(),
        wrote_header_max_chars=r.integer("wrote_header_max_chars", minimum=10),
        outlook_from=r.string("outlook_from").lower(),
        outlook_followers=tuple(f.lower() for f in r.strings("outlook_followers")),
        outlook_window=r.integer("outlook_window", minimum=1),
    )


def _zendesk(r: _Reader, category_names: tuple[str, ...]) -> ZendeskFields:
    due_type = r.string("response_due_field_type")
    if due_type not in DUE_FIELD_TYPES:
        raise r.fail("response_due_field_type", f"must be 'date' or 'text', got {due_type!r}")
    return ZendeskFields(
        urgency_field_id=r.integer("urgency_field_id"),
        category_field_id=r.integer("category_field_id"),
        response_due_field_id=r.integer("response_due_field_id"),
        response_due_field_type=due_type,
        after_hours_field_id=r.integer("after_hours_field_id"),
        urgency_values=r.string_map("urgency_values", LEVEL_NAMES),
        category_values=r.string_map("category_values", category_names),
    )
