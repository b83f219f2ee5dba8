"""The deadline a time-sensitive customer names (POLICY.md section 6), and whether it is short notice.

A deadline is a date or day after a cue ("by Friday", "before 12/15", "deadline: Dec 3", "no
later than the 15th", "by the end of the month", "done today"), or a form that is its own cue
("EOD tomorrow", "Friday EOD"; weakly, "next Friday", "end of next week"). It is resolved against the event's date in
the policy's time zone:
- weeks run Sunday to Saturday (the US convention, like the US month/day order). A weekday is
  that day of the event's week, whatever the cue ("by Friday" is this week's Friday, "by Monday"
  written on a Wednesday or a Friday is past and no deadline, "by Friday" written on a Sunday is
  the coming Friday, the event's own weekday is that day); "next Friday", "Friday next week" and
  "next week Friday" are the following week's Friday and "the coming Friday" the next one on or
  after the event's date;
- a date without a year takes the event's year (US order: 12/3 and 12-3 are December 3), so "by
  Jan 5" written on Dec 28 is past and no deadline; "the 15th" names no month and is the next
  15th (this month's, or next month's once past, also across the year end);
- "today", "tonight", "EOD" are the event's date, "tomorrow" the next; "end of the week" and
  "before the weekend" are the week's last open day ([hours] days; next week's once past), "end
  of the month" its last day;
- "before X" means the deadline is X; a deadline is never before the event's date.
Strong cues ("by", "before", "deadline", "due", ...) outrank weak ones ("on", "for", and an
uncued "next Friday"); among those of the same strength the earliest date wins, so short notice
is never missed.

Finding is a few compiled patterns with bounded repetition (linear in the text), and at most
`max_candidates` matches per field are resolved: hostile text cannot make it slow. Dates are
parsed and moved with python-dateutil (`parser`, `relativedelta`), not hand-written calendars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from app.policy.calendar import MAX_DAYS_SEARCHED, is_open_day
from app.policy.config import Hours, Policy
from app.policy.fields import ReadField
from app.policy.model import Evidence

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# Full names and the abbreviations people write after "by"; "sat" and "sun" are ordinary words.
WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|(?:mon|tues?|wed|thur?s?|fri)\.?)"  # only an abbreviation takes a dot: "Fri.", not "Friday."
)
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_END = r"(?![^\W_])"
_SPACE = r"\s{1,4}"
ORDINAL = r"(?:st|nd|rd|th)?"
# A clock time that may stand between the cue and the day: "by 5pm Friday", "by noon on 12/15".
CLOCK = (
    r"(?:(?:\d{1,2}(?::\d{2})?\s{0,2}(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midnight)"
    r"(?:\s{1,2}(?:et|est|edt|ct|cst|cdt|pt|pst|pdt|utc|gmt))?,?\s{1,4}(?:on\s{1,4})?)"
)
EOD = r"(?:eod|cob|eob|end\s{1,4}of\s{1,4}(?:the\s{1,4})?(?:business\s{1,4})?day|close\s{1,4}of\s{1,4}business)"
DAY_PART = r"(?:\s{1,4}(?:morning|afternoon|evening|night|eod|cob|end\s{1,4}of\s{1,4}day))?"
# What may follow a number pair that is not a date: "by 10-15 minutes", "within 3-5 business days",
# "by 9-10 am". A month-day with a dash ("by 12-15") counts only when no such word follows.
NOT_A_DASH_DATE = (
    r"(?!\s{0,4}(?:%|(?:(?:business|working|calendar|biz)\s{1,4})?(?:percent|pct|ms|s|secs?|seconds?|mins?"
    r"|minutes?|h|hrs?|hours?|d|days?|wks?|weeks?|mos?|months?|yrs?|years?|times|x|k|am|pm|a\.m\.|p\.m\.|people"
    r"|users|customers|applications|apps|requests|calls|tickets|items)(?![^\W_])))"
)
# "the 1st step", "the 2nd time": an ordinal before a noun is no day of the month.
NOT_A_DAY_OF_MONTH = (
    r"(?!\s{1,4}(?:step|time|round|phase|part|stage|attempt|try|batch|one|half|place|level|version|release"
    r"|item|page|line|row|test|call|ticket|email|message|issue|case|option|point|floor)s?(?![^\W_]))"
)
# The week a weekday is in, written after it or before it: "Friday next week", "next week Friday",
# "Monday of next week", "next week, on Monday", "this week Friday".
WEEK_AFTER = rf"(?:,?{_SPACE}(?:of{_SPACE})?(?P<week_after>this|next){_SPACE}week)"
WEEK_BEFORE = rf"(?:(?P<week_before>this|next){_SPACE}week,?{_SPACE}(?:on{_SPACE})?)"
# The date forms; the groups say which one matched.
EXPRESSION = (
    rf"(?:(?P<eod>{EOD})(?:{_SPACE}(?:on{_SPACE})?(?P<eod_day>today|tomorrow|{WEEKDAY}))?{_END}"
    rf"|(?P<relative>today|tonight|tomorrow|tmrw){DAY_PART}{_END}"
    rf"|(?:{WEEKDAY},?{_SPACE})?(?:the{_SPACE})?(?P<date>{MONTH}\.?{_SPACE}\d{{1,2}}{ORDINAL}(?:,?{_SPACE}\d{{4}})?"
    rf"|\d{{1,2}}{ORDINAL}{_SPACE}(?:of{_SPACE})?{MONTH}\.?(?:,?{_SPACE}\d{{4}})?"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{4}}/\d{{1,2}}/\d{{1,2}}|\d{{1,2}}/\d{{1,2}}(?:/(?:\d{{4}}|\d{{2}}))?"
    rf"|(?P<dashed>\d{{1,2}}-\d{{1,2}}(?:-(?:\d{{4}}|\d{{2}}))?){_END}{NOT_A_DASH_DATE}){_END}(?![/-]\d)"
    rf"|(?:(?P<qualifier>this|next|coming|the{_SPACE}coming){_SPACE}|{WEEK_BEFORE})?(?P<weekday>{WEEKDAY})"
    rf"{WEEK_AFTER}?{DAY_PART}{_END}"
    rf"|(?:(?P<weekend_qualifier>the|this|next){_SPACE})?(?P<weekend>weekend){_END}"
    rf"|the{_SPACE}(?P<nth>\d{{1,2}})(?:st|nd|rd|th)"
    rf"(?:{_SPACE}of{_SPACE}(?:the{_SPACE})?(?P<nth_month>this|next){_SPACE}month)?{_END}{NOT_A_DAY_OF_MONTH}"
    rf"|(?:the{_SPACE})?end{_SPACE}of{_SPACE}(?:the{_SPACE})?(?P<period_next>next{_SPACE})?(?:this{_SPACE})?"
    rf"(?P<period>week|month|year|quarter){_END}"
    rf"|(?P<period_short>eow|eom|eoy){_END})"
)


@dataclass(frozen=True)
class FoundDeadline:
    day: date
    evidence: Evidence
    strong: bool


@dataclass(frozen=True)
class _Patterns:
    cued: re.Pattern[str]
    uncued: re.Pattern[str]
    strong: frozenset[str]
    cue_word: re.Pattern[str]  # the first word of a cue: where the cued pattern is tried


def _alternatives(words: tuple[str, ...]) -> str:
    longest_first = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(r"\s{1,4}".join(re.escape(part) for part in w.split()) for w in longest_first)


@lru_cache(maxsize=16)
def _patterns(policy: Policy) -> _Patterns:
    rules = policy.intake.deadline
    cues = _alternatives(rules.strong_cues + rules.weak_cues)
    # cue, then ":" or "-" or "is"/"of", then maybe a clock time, then the date
    cued = (
        rf"(?<![^\W_])(?P<cue>{cues})(?:\s{{0,4}}[:\-\u2013\u2014=]\s{{0,4}}|{_SPACE}(?:(?:is|of|at){_SPACE})?)"
        rf"(?:the{_SPACE}latest{_SPACE})?{CLOCK}?{EXPRESSION}"
    )
    # forms that carry their own cue: "EOD tomorrow", "tomorrow EOD", "Friday EOD", "Friday deadline"
    # (the day before "EOD" is matched first, so "tomorrow EOD" is not read as a bare "EOD"); and,
    # as weak ones, a weekday said to lie in the following week: "next Friday", "Friday next week"
    first_words = tuple({re.split(r"[\s-]+", c)[0] for c in rules.strong_cues + rules.weak_cues})
    uncued = (
        rf"(?<![^\W_])(?:(?P<relative>today|tomorrow|tmrw){_SPACE}{EOD}{_END}"
        rf"|(?:(?P<qualifier>next){_SPACE}|{WEEK_BEFORE})?(?P<weekday>{WEEKDAY}){WEEK_AFTER}?"
        rf"(?:{_SPACE}(?P<own_cue>{EOD}|deadline|cutoff|cut-off|go-live))?{_END}"
        rf"|(?P<eod>{EOD})(?:{_SPACE}(?:on{_SPACE})?(?P<eod_day>today|tomorrow|tmrw|{WEEKDAY}))?{_END}"
        rf"|(?P<period_short>eow|eom|eoy){_END}"
        # "end of next week" (POLICY.md's own example), "end of the week", "end of next month": weak
        rf"|end{_SPACE}of{_SPACE}(?:(?:the|this){_SPACE})?(?:(?P<period_next>next){_SPACE})?(?P<period>week){_END}"
        rf"|end{_SPACE}of{_SPACE}(?P<month_next>next){_SPACE}(?P<next_month>month){_END})"
    )
    return _Patterns(
        cued=re.compile(cued),
        uncued=re.compile(uncued),
        strong=frozenset(" ".join(c.split()) for c in rules.strong_cues),
        cue_word=re.compile(rf"(?<![^\W_])(?:{_alternatives(first_words)}){_END}"),
    )


# Every date form holds one of these words or a digit, and the cue stands a little before it.
# The cue pattern is tried only at cue words just before such an anchor: Python's regex engine
# scans an alternation of cues at ~25 ns a character (50 us for 2 KB), `str.find` at a fraction.
ANCHOR_WORDS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "today",
        "tonight",
        "tomorrow",
        "tmrw",
        "eod",
        "cob",
        "eob",
        "eow",
        "eom",
        "eoy",
        "end",  # "end of the month", "end of day"
        "weekend",  # "before the weekend"
        "close",  # "close of business"
    ]
)
_DIGITS = re.compile(r"[0-9]{1,4}")
# A clock time's digits and a weekday are anchors too, so only the cue and its joiners ("no later
# than the latest: ") stand between a cue and the first anchor after it.
CUE_REACH = 56
NEXT_REACH = 24  # "next week, on " before a weekday


def _word_positions(lowered: str, word: str, start: int, end: int, limit: int) -> list[int]:
    """Where `word` stands as a whole word in lowered[start:end], at most `limit` places."""
    found: list[int] = []
    position = lowered.find(word, start, end)
    while position >= 0 and len(found) < limit:
        after = position + len(word)
        before_ok = position == 0 or not (lowered[position - 1].isalnum() or lowered[position - 1] == "_")
        after_ok = after >= len(lowered) or not (lowered[after].isalnum() or lowered[after] == "_")
        if before_ok and after_ok:
            found.append(position)
        position = lowered.find(word, position + 1, end)
    return found


def _anchors(field_text: ReadField, limit: int) -> list[int]:
    """Start positions of the date words and numbers in the field, at most `limit` of each word."""
    lowered = field_text.lowered
    positions = [
        p for word in field_text.words & ANCHOR_WORDS for p in _word_positions(lowered, word, 0, len(lowered), limit)
    ]
    if any(digit in lowered for digit in "0123456789"):  # a quick check: the pattern scan costs more
        for count, digits in enumerate(_DIGITS.finditer(lowered)):
            if count >= limit:
                break
            positions.append(digits.start())
    return sorted(positions)[: 4 * limit]


def find_deadline(fields: list[ReadField], today: date, policy: Policy) -> FoundDeadline | None:
    """The deadline the fields name, read against `today` (the event's date in the policy's zone)."""
    patterns = _patterns(policy)
    limit = policy.intake.deadline.max_candidates
    best: tuple[bool, date, ReadField, re.Match[str]] | None = None
    for field_text in fields:
        matches = _candidates(field_text, patterns, limit)
        spans = [match.span() for match, _ in matches]
        for match, strong in matches:
            start, end = match.span()
            if any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans):
                continue  # "EOD" in "by Friday EOD", "on Monday" in "next week, on Monday": the longer has it
            day = _resolve(match, today, policy)
            if day is None or day < today:
                continue  # a past date or weekday is not a deadline
            if best is None or (strong, -day.toordinal()) > (best[0], -best[1].toordinal()):
                best = (strong, day, field_text, match)
    if best is None:
        return None
    strong, day, field_text, match = best
    return FoundDeadline(day, field_text.evidence("deadline", "deadline", *match.span()), strong)


def _strength(match: re.Match[str], cued: bool, patterns: _Patterns) -> bool | None:
    """True for a strong reading, False for a weak one, None when the match names no deadline."""
    groups = match.groupdict()
    if cued:
        strong = " ".join(groups["cue"].split()) in patterns.strong
        if groups.get("weekend") and not strong:
            return None  # "on the weekend" is the weekend itself; "by/before the weekend" ends before it
        return strong
    if groups.get("weekday") and not groups.get("own_cue"):
        following = "next" in (groups.get("qualifier"), groups.get("week_before"), groups.get("week_after"))
        return False if following else None  # "next Friday" counts, weakly; a bare "Friday" needs a cue
    # "end of next week" without a cue counts, weakly, as "next Friday" does
    return not (groups.get("period") or groups.get("next_month"))


def _candidates(field_text: ReadField, patterns: _Patterns, limit: int) -> list[tuple[re.Match[str], bool]]:
    """(match, its strength, see `_strength`): cued matches tried at cue words shortly before an
    anchor, uncued ones at the anchors themselves and at a "next" just before one ("next week
    Friday"); each span once, at most `limit` of each kind."""
    lowered = field_text.lowered
    anchors = _anchors(field_text, limit)
    if not anchors:
        return []
    found: dict[tuple[int, int, bool], tuple[re.Match[str], bool]] = {}
    tried: set[int] = set()

    def keep(match: re.Match[str] | None, cued: bool) -> None:
        strength = _strength(match, cued, patterns) if match else None
        if match and strength is not None:
            found.setdefault((*match.span(), cued), (match, strength))

    for anchor in anchors:
        for cue in patterns.cue_word.finditer(lowered, max(0, anchor - CUE_REACH), anchor):
            position = cue.start()
            if position not in tried and len(tried) < 4 * limit:
                tried.add(position)
                keep(patterns.cued.match(lowered, position), True)
        keep(patterns.uncued.match(lowered, anchor), False)
        following = lowered.rfind("next", max(0, anchor - NEXT_REACH), anchor)
        if following >= 0:
            keep(patterns.uncued.match(lowered, following), False)
    return [found[key] for key in sorted(found)][: 2 * limit]


def _resolve(match: re.Match[str], today: date, policy: Policy) -> date | None:
    groups = match.groupdict()
    if groups.get("eod") and not groups.get("weekday") and not groups.get("relative"):
        return _day_word(groups.get("eod_day") or "today", today)
    if groups.get("relative"):
        return _day_word(groups["relative"], today)
    if groups.get("date"):
        return _calendar_date(groups["date"], today)
    if groups.get("weekday"):
        qualifier = " ".join(
            (groups.get("qualifier") or groups.get("week_before") or groups.get("week_after") or "").split()
        )
        return _weekday(groups["weekday"], qualifier, today)
    if groups.get("weekend"):  # "before the weekend": the week's last open day
        return _period_end("week", groups.get("weekend_qualifier") == "next", today, policy.hours)
    if groups.get("nth"):
        return _nth(int(groups["nth"]), groups.get("nth_month"), today)
    period = groups.get("period") or {"eow": "week", "eom": "month", "eoy": "year"}.get(
        groups.get("period_short") or ""
    )
    if groups.get("next_month"):
        return _period_end("month", True, today, policy.hours)
    if period:
        return _period_end(period, bool(groups.get("period_next")), today, policy.hours)
    return None


def _day_word(word: str, today: date) -> date | None:
    if word in ("today", "tonight"):
        return today
    if word in ("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    return _weekday(word, "", today)


def _weekday_number(word: str) -> int:
    return WEEKDAY_INDEX[word.rstrip(".")[:3]]


def _week_start(today: date) -> date:
    """The Sunday that starts the event's week: weeks run Sunday to Saturday (US convention)."""
    return today - timedelta(days=_days_after_sunday(today.weekday()))


def _days_after_sunday(weekday: int) -> int:
    """Python's weekday (0 = Monday) as the day's place in a Sunday-to-Saturday week."""
    return (weekday + 1) % 7


def _weekday(word: str, qualifier: str, today: date) -> date:
    """That weekday in the event's week; a day already past is returned, and the caller drops it
    (POLICY.md 6: a past weekday the text mentions is not a deadline)."""
    day = _week_start(today) + timedelta(days=_days_after_sunday(_weekday_number(word)))
    if qualifier == "next":  # the following week's day
        return day + timedelta(days=7)
    if qualifier in ("coming", "the coming"):  # says it lies ahead: the next one, today included
        return day if day >= today else day + timedelta(days=7)
    return day


def _calendar_date(text: str, today: date) -> date | None:
    """The date as written; without a year, the event's year (even when that is past)."""
    cleaned = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text)
    if re.fullmatch(r"\d{1,2}-\d{1,2}(?:-\d{2,4})?", cleaned):  # "12-15": US month-day, like "12/15"
        cleaned = cleaned.replace("-", "/")
    try:
        return date_parser.parse(cleaned, default=datetime(today.year, today.month, 1), dayfirst=False).date()
    except (ValueError, OverflowError):
        return None  # "2/30", "13/45": not a date


def _nth(day: int, month: str | None, today: date) -> date | None:
    """The next such day of the month ("the 15th"), or that day of this or next month."""
    for months in {None: (0, 1), "this": (0,), "next": (1,)}[month]:
        month_start = today.replace(day=1) + relativedelta(months=months)
        if day <= (month_start + relativedelta(day=31)).day:
            candidate = month_start.replace(day=day)
            if candidate >= today:
                return candidate
    return None


def _period_end(period: str, following: bool, today: date, hours: Hours) -> date:
    if period == "week":
        last_open = max((_days_after_sunday(d) for d in hours.days), default=5)
        end = _week_start(today) + timedelta(days=last_open + (7 if following else 0))
        return end if end >= today else end + timedelta(days=7)
    if period == "month":
        return today + relativedelta(months=1 if following else 0, day=31)
    if period == "quarter":
        quarter_end_month = 3 * ((today.month - 1) // 3 + 1)
        return date(today.year, quarter_end_month, 1) + relativedelta(day=31)
    return date(today.year + (1 if following else 0), 12, 31)


def business_days_after(start: date, end: date, hours: Hours, enough: int) -> int:
    """Open days after `start` up to and including `end`, counted up to `enough` (then it stops)."""
    count = 0
    day = start
    for _ in range(MAX_DAYS_SEARCHED):
        day += timedelta(days=1)
        if day > end or count >= enough:
            break
        count += is_open_day(day, hours)
    return count


def is_short_notice(event_day: date, deadline: date, policy: Policy) -> bool:
    """Fewer than the configured business days after the event's date, up to the deadline (inclusive)."""
    enough = policy.intake.deadline.short_notice_business_days
    return business_days_after(event_day, deadline, policy.hours, enough) < enough
