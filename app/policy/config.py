"""Load and validate config/policy.toml into a frozen `Policy`.

Every policy default lives in that one file; this module only reads it, checks each key and
fails fast with the key's name. Nothing here knows about Flask, Redis or HTTP.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.policy.line_forms import header_form, marker_line

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "config" / "policy.toml"
CATEGORY_NAMES = ("fraud_attack", "incident", "account_access", "workflow_update")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DUE_FIELD_TYPES = ("date", "text")
LEVEL_NAMES = ("urgent", "time_sensitive")  # the levels the urgency field is written for
# The intake items of POLICY.md section 6, in the order the note lists them.
ITEM_NAMES = ("deadline", "start_time", "example_applications", "steps_to_reproduce")
REPORT_ITEMS = {
    "fraud_attack": ("start_time", "example_applications"),
    "incident": ("start_time", "steps_to_reproduce"),
}
# PagerDuty Events API v2 `payload.severity` (docs/oncall.md): what a page's severity may be.
PAGE_SEVERITIES = ("critical", "error", "warning", "info")


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
    phrases: tuple[tuple[str, ...], ...] = ()  # negators of several words ("can not"), as word tuples


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
    not_in_phrases: dict[str, tuple[str, ...]]  # keyword -> phrases where it means something else
    status_codes: StatusCodes

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.order, self.fallback)


@dataclass(frozen=True)
class StatusCodes:
    """Number keywords that count only with a context word near them ("HTTP 503", "503 errors")."""

    codes: frozenset[str]
    context: tuple[str, ...]  # words or phrases, lower case
    window: int  # words before or after, same sentence


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
    short_notice: str
    deadline_missing: str
    info_missing: str
    missing_item_prefix: str
    info_requested: str
    sla_at_risk: str  # the SLA watchdog's: no public agent reply shortly before the response is due

    def category(self, name: str) -> str:
        return self.category_prefix + name

    def item(self, name: str) -> str:
        """The tag that records an open intake item; the deadline item has `deadline_missing`."""
        return self.deadline_missing if name == "deadline" else self.missing_item_prefix + name

    def open_items(self, tags: tuple[str, ...] | frozenset[str] | list[str]) -> frozenset[str]:
        """The intake items a ticket's tags record as missing (for `TicketText.open_items`)."""
        present = set(tags)
        return frozenset(name for name in ITEM_NAMES if self.item(name) in present)


@dataclass(frozen=True)
class PublicReply:
    enabled: bool
    text: str


@dataclass(frozen=True)
class PageSeverity:
    """The PagerDuty severity of an on-call page, by the ticket's category."""

    by_category: dict[str, str]
    fallback: str  # for a paged category `by_category` does not name

    def of(self, category: str) -> str:
        return self.by_category.get(category, self.fallback)


@dataclass(frozen=True)
class AfterHours:
    page_categories: frozenset[str]
    page_severity: PageSeverity
    public_reply: PublicReply


@dataclass(frozen=True)
class ReplyHeader:
    """A line starting with `start`, ending with `end`, with `middle` in between: "On ... wrote:".

    All three are in the form `line_forms.header_form` compares: lower case, single spaces, no space
    before a colon."""

    start: str
    end: str
    middle: str = ""


@dataclass(frozen=True)
class Quotes:
    cut_markers: tuple[str, ...]
    cut_lines: tuple[str, ...]
    reply_headers: tuple[ReplyHeader, ...]
    reply_header_max_chars: int
    forwarded_markers: tuple[str, ...]  # as `line_forms.marker_line` reads a line
    outlook_from: str
    outlook_followers: tuple[str, ...]
    outlook_window: int
    header_words: tuple[str, ...]  # a body without any of these has no reply header (a quick check)


@dataclass(frozen=True)
class DeadlineRules:
    strong_cues: tuple[str, ...]
    weak_cues: tuple[str, ...]
    short_notice_business_days: int
    max_candidates: int


@dataclass(frozen=True)
class StartTimeRules:
    cues: tuple[str, ...]
    verbs: tuple[str, ...]
    fillers: tuple[str, ...]
    day_words: tuple[str, ...]


@dataclass(frozen=True)
class ExampleRules:
    application_words: tuple[str, ...]
    application_id: re.Pattern[str]
    token: re.Pattern[str]
    url_excluded_path_words: frozenset[str]


@dataclass(frozen=True)
class StepsRules:
    headings: tuple[str, ...]
    action_verbs: frozenset[str]
    lead_words: frozenset[str]
    min_steps: int


@dataclass(frozen=True)
class InfoRequest:
    enabled: bool
    text: str


@dataclass(frozen=True)
class Intake:
    deadline: DeadlineRules
    start_time: StartTimeRules
    example_applications: ExampleRules
    steps_to_reproduce: StepsRules
    item_labels: dict[str, str]  # item name -> how the public reply asks for it
    info_request: InfoRequest


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
    deadline_field_id: int = 0


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
    intake: Intake
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
        after_hours=_after_hours(reader.section("after_hours"), categories.names),
        quotes=_quotes(reader.section("quotes")),
        zendesk=_zendesk(reader.section("zendesk"), categories.names),
        intake=_intake(reader.section("intake")),
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

    def pattern(self, key: str) -> re.Pattern[str]:
        value = self.string(key)
        try:
            return re.compile(value, re.IGNORECASE)
        except re.error as error:
            raise self.fail(key, f"is not a valid regular expression: {error}") from None

    def template(self, key: str, placeholders: tuple[str, ...]) -> str:
        """A text with {placeholders}, checked now so a typo fails at start and not in a reply."""
        value = self.string(key)
        try:
            value.format_map({name: "" for name in placeholders})
        except (KeyError, ValueError, IndexError) as error:
            raise self.fail(key, f"may use only {', '.join('{' + p + '}' for p in placeholders)}: {error}") from None
        return value

    def tables(self, key: str) -> list[_Reader]:
        """A list of inline tables, each read with its position in the key: [quotes.reply_headers[2].end]."""
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of tables {key = value, ...}")
        return [_Reader(v, self.source, f"{self.prefix}{key}[{n + 1}].") for n, v in enumerate(value)]

    def has(self, key: str) -> bool:
        return key in self.table

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
        phrases=tuple(tuple(p.lower().split()) for p in r.strings("phrases", True)),
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
    exclusions = r.section("not_in_phrases")
    not_in: dict[str, tuple[str, ...]] = {}
    for keyword in exclusions.table:  # a keyword no longer listed above: its phrases do nothing
        phrases = tuple(p.lower() for p in exclusions.strings(keyword))
        for phrase in phrases:
            if keyword.lower() not in phrase:
                raise exclusions.fail(keyword, f"has {phrase!r}, which does not contain the keyword")
        not_in[keyword.lower()] = phrases
    codes = r.section("status_codes")
    status = StatusCodes(
        codes=frozenset(codes.strings("codes", True)),
        context=tuple(" ".join(c.lower().split()) for c in codes.strings("context")),
        window=codes.integer("window", minimum=1),
    )
    return Categories(
        order=order, fallback=r.string("fallback"), keywords=keywords, not_in_phrases=not_in, status_codes=status
    )


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
        "short_notice",
        "deadline_missing",
        "info_missing",
        "missing_item_prefix",
        "info_requested",
        "sla_at_risk",
    )
    return Tags(**{name: r.string(name) for name in names})


def _after_hours(r: _Reader, category_names: tuple[str, ...]) -> AfterHours:
    reply = r.section("public_reply")
    return AfterHours(
        page_categories=frozenset(r.strings("page_categories", allow_empty_list=True)),
        page_severity=PageSeverity(
            by_category=_page_severities(r, category_names),
            fallback=_page_severity(r, "page_severity_fallback"),
        ),
        public_reply=PublicReply(enabled=reply.boolean("enabled"), text=reply.template("text", TEXT_PLACEHOLDERS)),
    )


def _page_severities(r: _Reader, category_names: tuple[str, ...]) -> dict[str, str]:
    table = r.section("page_severity")
    for name in table.table:
        if name not in category_names:
            raise table.fail(name, f"is not a category; known: {', '.join(category_names)}")
    return {name: _page_severity(table, name) for name in table.table}


def _page_severity(r: _Reader, key: str) -> str:
    value = r.string(key)
    if value not in PAGE_SEVERITIES:
        raise r.fail(key, f"must be one of {', '.join(PAGE_SEVERITIES)}, got {value!r}")
    return value


# What a configured text may say in braces; the engine fills them from [hours] (POLICY.md 7).
TEXT_PLACEHOLDERS = ("business_hours",)
INFO_REQUEST_PLACEHOLDERS = ("business_hours", "missing_items")


def _quotes(r: _Reader) -> Quotes:

    headers = []
    for item in r.tables("reply_headers"):
        middle = item.string("middle") if item.has("middle") else ""
        headers.append(
            ReplyHeader(
                start=header_form(item.string("start")) + " ",
                end=header_form(item.string("end")),
                middle=" " + header_form(middle) + " " if middle else "",
            )
        )
    if not headers:
        raise r.fail("reply_headers", "must not be empty")
    words = {h.end.rstrip(":").split()[-1] for h in headers if h.end.rstrip(":").split()}
    words |= {h.middle.strip() for h in headers if h.middle.strip()}
    return Quotes(
        cut_markers=r.strings("cut_markers", True),
        cut_lines=tuple(line.strip().lower() for line in r.strings("cut_lines", True)),
        reply_headers=tuple(headers),
        reply_header_max_chars=r.integer("reply_header_max_chars", minimum=10),
        forwarded_markers=tuple(marker_line(m) for m in r.strings("forwarded_markers", True)),
        outlook_from=r.string("outlook_from").lower(),
        outlook_followers=tuple(f.lower() for f in r.strings("outlook_followers")),
        outlook_window=r.integer("outlook_window", minimum=1),
        header_words=tuple(sorted(words)),
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
        deadline_field_id=r.integer("deadline_field_id"),
    )


def _lower(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(w.lower().split()) for w in words)


def _intake(r: _Reader) -> Intake:
    deadline, start, examples, steps = (r.section(name) for name in ITEM_NAMES)
    labels = r.section("item_labels")
    request = r.section("info_request")
    return Intake(
        deadline=DeadlineRules(
            strong_cues=_lower(deadline.strings("strong_cues")),
            weak_cues=_lower(deadline.strings("weak_cues", True)),
            short_notice_business_days=deadline.integer("short_notice_business_days", minimum=1),
            max_candidates=deadline.integer("max_candidates", minimum=1),
        ),
        start_time=StartTimeRules(
            cues=_lower(start.strings("cues")),
            verbs=_lower(start.strings("verbs", True)),
            fillers=_lower(start.strings("fillers", True)),
            day_words=_lower(start.strings("day_words")),
        ),
        example_applications=ExampleRules(
            application_words=_lower(examples.strings("application_words")),
            application_id=examples.pattern("application_id"),
            token=examples.pattern("token"),
            url_excluded_path_words=frozenset(_lower(examples.strings("url_excluded_path_words", True))),
        ),
        steps_to_reproduce=StepsRules(
            headings=_lower(steps.strings("headings")),
            action_verbs=frozenset(_lower(steps.strings("action_verbs"))),
            lead_words=frozenset(_lower(steps.strings("lead_words", True))),
            min_steps=steps.integer("min_steps", minimum=1),
        ),
        item_labels={name: labels.string(name) for name in ITEM_NAMES},
        info_request=InfoRequest(
            enabled=request.boolean("enabled"), text=request.template("text", INFO_REQUEST_PLACEHOLDERS)
        ),
    )
