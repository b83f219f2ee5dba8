"""POLICY.md section 6: the details the article asks customers for, found or missing.

- time_sensitive: the deadline (app.policy.deadlines), `short_notice`, `deadline_missing`;
- urgent fraud_attack: a start time and example applications; urgent incident: a start time and
  steps to reproduce; each missing one is an open item (`info_missing` and a tag per item).

A ticket remembers its open items in tags, and the caller passes them back as
`TicketText.open_items`: a later comment that supplies one clears its tag (`removed_tags`), also
when the comment itself has no urgency. An urgent comment clears an open deadline whatever it
says: the deadline item is asked of time-sensitive tickets only, and an urgent one is answered
within the urgent target, deadline or not. New items are opened only when the event makes the
requirement new: a new ticket, or a comment that raises the ticket's level (or, for the report
items, changes its category); a comment repeating the ticket's level does not re-open what an
earlier message supplied.

Every finder is a compiled pattern with bounded repetition over the normalised text, so it is
linear in the text; none of it runs unless the ticket needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from app.policy.config import ITEM_NAMES, REPORT_ITEMS, Policy
from app.policy.deadlines import MONTH, WEEKDAY, find_deadline, is_short_notice
from app.policy.fields import ReadField
from app.policy.model import CREATED, LEVELS, TIME_SENSITIVE, URGENT, Evidence, TicketText
from app.policy.wording import fill

DEADLINE = "deadline"
START_TIME, EXAMPLES, STEPS = "start_time", "example_applications", "steps_to_reproduce"
_END = r"(?![^\W_])"
_START = r"(?<![^\W_])"
_SPACE = r"\s{1,4}"
ZONES = r"(?:et|est|edt|ct|cst|cdt|mt|mst|mdt|pt|pst|pdt|utc|gmt|bst|cet|cest)"
CLOCK = (
    rf"(?:\d{{1,2}}(?::\d{{2}})?\s{{0,2}}(?:am|pm|a\.m\.|p\.m\.)|\d{{1,2}}:\d{{2}}(?:\s{{0,2}}(?:am|pm))?"
    rf"|\d{{3,4}}\s{{0,2}}(?:utc|gmt|z|hrs)){_END}(?:\s{{1,2}}{ZONES}{_END})?"
)
AGO = rf"(?:\d{{1,3}}|an?|one|two|three|four|five|a{_SPACE}few|few|several){_SPACE}(?:minutes?|mins?|hours?|hrs?|days?){_SPACE}ago"
DATE = rf"(?:{MONTH}\.?{_SPACE}\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|\d{{4}}-\d{{2}}-\d{{2}})"
DAY_PART = r"(?:\s{1,4}(?:morning|afternoon|evening|night))?"
# Numbered list items ("1.", "2)", "(3)", "Step 4:") and bulleted ones, at a line's start.
NUMBERED_ITEM = re.compile(
    r"^[^\S\n]*(?:\(?\d{1,2}[.)]|step[^\S\n]{0,4}\d{1,2}[:.)]?)[^\S\n]{1,8}(?P<rest>[^\n]{1,300})", re.MULTILINE
)
LIST_ITEM = re.compile(
    r"[^\S\n]*(?:\(?\d{1,2}[.)]|step[^\S\n]{0,4}\d{1,2}[:.)]?|[-*\u2022\u00b7\u2023\u25e6])[^\S\n]{1,8}\S"
)
# The same markers anywhere in a line, for a list written on one line (common in chat):
# "Steps to reproduce: 1. open the dashboard 2. click Export 3. see the 500".
INLINE_ITEM = re.compile(
    r"(?<![^\s:;,(\[])(?:\(?(?P<number>\d{1,2})[.)]|step[^\S\n]{0,4}(?P<step>\d{1,2})[:.)]?)[^\S\n]{1,8}(?=\S)"
)
_WORD = re.compile(r"[^\W\d_][\w'-]*")
_URL = re.compile(r"https://[^\s<>\"'()\[\]]{1,2000}")
MAX_LIST_ITEMS = 200  # numbered lines looked at per field
HEADING_LOOKAHEAD_LINES = 3
INLINE_ITEM_CHARS = 300  # the last item of an inline list: up to the line's end, at most this
HEADING_REACH = 60  # a heading right before an inline list: "Steps to reproduce: 1. ..."


@dataclass(frozen=True)
class IntakeResult:
    deadline: date | None = None
    short_notice: bool = False
    missing: tuple[str, ...] = ()  # sorted item names still missing after this event
    newly_missing: tuple[str, ...] = ()  # items this event opened
    supplied: tuple[str, ...] = ()  # open items this event supplied
    withdrawn: tuple[str, ...] = ()  # open items that no longer apply (the deadline of a ticket now urgent)
    required: tuple[str, ...] = ()  # items this event checked for (for the note)
    tags: tuple[str, ...] = ()
    removed_tags: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    info_request_reply: str | None = None


NOTHING = IntakeResult()  # what an event that needs no intake check has


@dataclass(frozen=True)
class _Patterns:
    start_cued: re.Pattern[str]
    start_verb: re.Pattern[str]
    start_before_verb: re.Pattern[str]
    application: re.Pattern[str]
    token: re.Pattern[str]
    id_or_token: re.Pattern[str]
    heading: re.Pattern[str]
    heading_just_before: re.Pattern[str]


def _alternatives(words: tuple[str, ...] | frozenset[str]) -> str:
    longest_first = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(_SPACE.join(re.escape(part) for part in w.split()) for w in longest_first) or r"(?!x)x"


@lru_cache(maxsize=16)
def _patterns(policy: Policy) -> _Patterns:
    start = policy.intake.start_time
    examples = policy.intake.example_applications
    steps = policy.intake.steps_to_reproduce
    days = _alternatives(start.day_words)
    time = rf"(?P<time>{CLOCK}|{AGO}|{DATE}|(?:{WEEKDAY}){DAY_PART}|{days}){_END}"
    fillers = rf"(?:(?:{_alternatives(start.fillers)}){_SPACE}){{0,3}}"
    verbs = _alternatives(start.verbs)
    app_id, token = examples.application_id.pattern, examples.token.pattern
    return _Patterns(
        # "since midnight", "started at 2am ET", "beginning Monday morning", "start time: 9:40"
        start_cued=re.compile(
            rf"{_START}(?:{_alternatives(start.cues)})(?:\s{{0,4}}:\s{{0,4}}|{_SPACE}){fillers}{time}"
        ),
        # "started failing around 2am", "began approving fraudulent applications at 1:15am"
        start_verb=re.compile(
            rf"{_START}(?:{verbs})(?:{_SPACE}[^\W\d_][\w'-]{{0,30}}){{0,4}}?{_SPACE}"
            rf"(?:at|around|about|on|approximately|since|from){_SPACE}{fillers}{time}"
        ),
        # "at 2am ET we started seeing ..."
        start_before_verb=re.compile(
            rf"{_START}(?:at|around|about){_SPACE}(?P<time>{CLOCK})[^.!?\n]{{0,60}}?{_START}(?:{verbs}){_END}"
        ),
        application=re.compile(
            rf"{_START}(?:{_alternatives(examples.application_words)})(?:\s{{0,4}}[:#]\s{{0,4}}|{_SPACE})"
            rf"(?:(?:id|ids|number|no\.?|#)\s{{0,4}}[:#]?\s{{0,4}})?(?:{app_id}|{token}){_END}"
        ),
        token=re.compile(rf"{_START}(?:{token}){_END}"),
        id_or_token=re.compile(rf"(?:{app_id}|{token})"),
        heading=re.compile(
            rf"^[^\S\n]*[*#_>]*[^\S\n]*(?:{_alternatives(steps.headings)}){_END}[^\n]{{0,80}}$", re.MULTILINE
        ),
        heading_just_before=re.compile(
            rf"{_START}(?:{_alternatives(steps.headings)})[^\S\n]{{0,4}}[:.\-\u2013\u2014]?[^\S\n]{{0,4}}[*_]*[^\S\n]{{0,4}}\Z"
        ),
    )


def check_intake(
    ticket: TicketText,
    level: str,
    category: str,
    fields: list[ReadField],
    link: ReadField | None,
    today: date,
    policy: Policy,
) -> IntakeResult:
    """What the event says about the intake items; the engine calls it only when
    `needs_intake` is true, so ordinary tickets skip all of it."""
    tags = policy.tags
    known = LEVELS.index(ticket.known_level) if ticket.known_level in LEVELS else 0
    raises = ticket.event == CREATED or LEVELS.index(level) > known
    evidence: list[Evidence] = []
    added: list[str] = []
    removed: list[str] = []
    missing: set[str] = set()
    newly: list[str] = []
    supplied: list[str] = []
    required: list[str] = []

    deadline, short = None, False
    withdrawn: list[str] = []
    if level == URGENT:
        if DEADLINE in ticket.open_items:  # an urgent ticket is answered in minutes: its deadline is moot
            withdrawn.append(DEADLINE)
            removed.append(tags.item(DEADLINE))
    elif level == TIME_SENSITIVE or DEADLINE in ticket.open_items:
        found = find_deadline(fields, today, policy)
        if found:
            deadline, short = found.day, is_short_notice(today, found.day, policy)
            evidence.append(found.evidence)
            if short:
                added.append(tags.short_notice)
            if DEADLINE in ticket.open_items:
                supplied.append(DEADLINE)
                removed.append(tags.item(DEADLINE))
        elif DEADLINE in ticket.open_items:
            missing.add(DEADLINE)
        elif level == TIME_SENSITIVE and raises:
            required.append(DEADLINE)
            missing.add(DEADLINE)
            newly.append(DEADLINE)
            added.append(tags.item(DEADLINE))

    wanted = REPORT_ITEMS.get(category, ()) if level == URGENT else ()
    opens = ticket.event == CREATED or raises or category != ticket.known_category
    open_report = [item for item in ITEM_NAMES[1:] if item in ticket.open_items]
    checked = [item for item in ITEM_NAMES[1:] if item in open_report or (opens and item in wanted)]
    found_items = {item: _find_item(item, fields, link, policy) for item in checked}
    for item in checked:
        item_evidence = found_items[item]
        if item_evidence is not None:
            evidence.append(item_evidence)
            if item in open_report:
                supplied.append(item)
                removed.append(tags.item(item))
            continue
        missing.add(item)
        if item not in open_report:
            newly.append(item)
            added.append(tags.item(item))
    required += [item for item in checked if item not in open_report]
    newly_report = [item for item in newly if item != DEADLINE]
    if newly_report:
        added.append(tags.info_missing)
    if open_report and not any(item in missing for item in ITEM_NAMES[1:]):
        removed.append(tags.info_missing)
    return IntakeResult(
        deadline=deadline,
        short_notice=short,
        missing=tuple(sorted(missing)),
        newly_missing=tuple(newly),
        supplied=tuple(supplied),
        withdrawn=tuple(withdrawn),
        required=tuple(required),
        tags=_in_tag_order(added, policy),
        removed_tags=tuple(dict.fromkeys(removed)),
        evidence=tuple(evidence),
        info_request_reply=_info_request(level == URGENT and category in REPORT_ITEMS, missing, policy),
    )


def _in_tag_order(added: list[str], policy: Policy) -> tuple[str, ...]:
    """short_notice, deadline_missing, info_missing, then one tag per item, in item order."""
    tags = policy.tags
    order = [tags.short_notice, tags.deadline_missing, tags.info_missing, *(tags.item(n) for n in ITEM_NAMES)]
    return tuple(tag for tag in dict.fromkeys(order) if tag in added)


def needs_intake(ticket: TicketText, level: str, category: str) -> bool:
    """Whether any intake check can apply: time-sensitive, urgent fraud or incident, or open items."""
    if level == TIME_SENSITIVE or ticket.open_items:
        return True
    return level == URGENT and category in REPORT_ITEMS


def _info_request(urgent_report: bool, missing: set[str], policy: Policy) -> str | None:
    """The public reply asking for the report items still missing, offered on every urgent
    fraud_attack or incident event that leaves some missing, not only the one that opened them:
    the worker sends it once per ticket (the `info_requested` tag is the proof), so a retry whose
    re-read ticket already shows the items open still owes a reply that did not land."""
    request = policy.intake.info_request
    asked = [item for item in ITEM_NAMES[1:] if item in missing]
    if not (request.enabled and urgent_report and asked):
        return None
    items = "\n".join(f"- {policy.intake.item_labels[item]}" for item in asked)
    return fill(request.text, policy.hours, missing_items=items)


def _find_item(item: str, fields: list[ReadField], link: ReadField | None, policy: Policy) -> Evidence | None:
    if item == START_TIME:
        return find_start_time(fields, policy)
    if item == EXAMPLES:
        return find_example_application(fields, link, policy)
    return find_steps(fields, policy)


def find_start_time(fields: list[ReadField], policy: Policy) -> Evidence | None:
    """A clock time or day the problem began: "since midnight", "started at 2am ET"."""
    patterns = _patterns(policy)
    for field_text in fields:
        for pattern in (patterns.start_cued, patterns.start_verb, patterns.start_before_verb):
            match = pattern.search(field_text.lowered)
            if match:
                return field_text.evidence("intake", START_TIME, *match.span())
    return None


def find_example_application(fields: list[ReadField], link: ReadField | None, policy: Policy) -> Evidence | None:
    """An application id ("app 8834-221"), a token (A-8Xk2PqL9) or a dashboard link to one application."""
    patterns = _patterns(policy)
    for field_text in fields:
        for pattern in (patterns.application, patterns.token):
            match = pattern.search(field_text.lowered)
            if match:
                return field_text.evidence("intake", EXAMPLES, *match.span())
    for field_text in [*fields, *([link] if link else [])]:
        if "https://" not in field_text.lowered:
            continue
        for url in _URL.finditer(field_text.lowered):
            if _links_one_application(url.group(), policy):
                return field_text.evidence("intake", EXAMPLES, *url.span())
    return None


def _links_one_application(url: str, policy: Policy) -> bool:
    excluded = policy.intake.example_applications.url_excluded_path_words
    path = url[len("https://") :].split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/")[1:] if s]
    id_or_token = _patterns(policy).id_or_token
    for index, segment in enumerate(segments):
        if id_or_token.fullmatch(segment) and (index == 0 or segments[index - 1] not in excluded):
            return True
    return False


def find_steps(fields: list[ReadField], policy: Policy) -> Evidence | None:
    """A numbered list of actions, or any list under "Steps to reproduce:" / "To reproduce:"."""
    rules = policy.intake.steps_to_reproduce
    patterns = _patterns(policy)
    for field_text in fields:
        lowered = field_text.lowered
        for heading in patterns.heading.finditer(lowered):
            if _list_follows(lowered, heading.end()):
                return field_text.evidence("intake", STEPS, *heading.span())
        actions: list[re.Match[str]] = []
        for count, item in enumerate(NUMBERED_ITEM.finditer(lowered)):
            if count >= MAX_LIST_ITEMS:
                break
            if _is_action(item.group("rest"), rules.action_verbs, rules.lead_words):
                actions.append(item)
                if len(actions) >= rules.min_steps:
                    return field_text.evidence("intake", STEPS, actions[0].start("rest"), actions[-1].end())
        span = _inline_steps(lowered, policy)
        if span:
            return field_text.evidence("intake", STEPS, *span)
    return None


def _inline_steps(lowered: str, policy: Policy) -> tuple[int, int] | None:
    """A numbered list whose items need not start a line ("1. open the dashboard 2. click Export",
    "Repro: 1. open it" then "2. click Export" on the next line): steps when it follows a steps
    heading, or when `min_steps` of its items are actions, as for a list written one item a line.
    Items count up by one from 1; at most `MAX_LIST_ITEMS` markers are looked at."""
    run: list[re.Match[str]] = []
    for count, marker in enumerate(INLINE_ITEM.finditer(lowered)):
        if count >= MAX_LIST_ITEMS:
            break
        number = _item_number(marker)
        if run and number == _item_number(run[-1]) + 1:
            run.append(marker)
            continue
        span = _steps_in_run(lowered, run, policy)
        if span:
            return span
        run = [marker] if number == 1 else []
    return _steps_in_run(lowered, run, policy)


def _item_number(marker: re.Match[str]) -> int:
    return int(marker.group("number") or marker.group("step"))


def _steps_in_run(lowered: str, run: list[re.Match[str]], policy: Policy) -> tuple[int, int] | None:
    """The span that makes an inline numbered list steps (see `_inline_steps`), if any."""
    if not run:
        return None
    rules = policy.intake.steps_to_reproduce
    line_end = lowered.find("\n", run[-1].end(), run[-1].end() + INLINE_ITEM_CHARS)
    last_end = line_end if line_end >= 0 else min(len(lowered), run[-1].end() + INLINE_ITEM_CHARS)
    ends = [marker.start() for marker in run[1:]] + [last_end]
    before = lowered[max(0, run[0].start() - HEADING_REACH) : run[0].start()]
    heading = _patterns(policy).heading_just_before.search(before)
    if heading:  # the heading is the evidence, as for a list under it (the note's context shows the list)
        start = run[0].start() - len(before) + heading.start()
        return start, start + len(heading.group().rstrip())
    if len(run) < rules.min_steps:
        return None
    actions = [
        (marker.end(), end)
        for marker, end in zip(run, ends, strict=True)
        if _is_action(lowered[marker.end() : end], rules.action_verbs, rules.lead_words)
    ]
    return (actions[0][0], actions[-1][1]) if len(actions) >= rules.min_steps else None


def _list_follows(lowered: str, position: int) -> bool:
    """A list item on one of the next few non-blank lines after a heading."""
    following = lowered[position : position + 2000].split("\n")[1 : 1 + HEADING_LOOKAHEAD_LINES + 1]
    for line in following:
        if not line.strip():
            continue
        return bool(LIST_ITEM.match(line))
    return False


def _is_action(rest: str, verbs: frozenset[str], lead_words: frozenset[str]) -> bool:
    """The item starts with an action verb, maybe after a lead word ("Then call ...")."""
    if not rest[:1].isalpha():
        return False  # "/v1/evaluations", "`POST`": a name, not an action
    for count, word in enumerate(_WORD.finditer(rest)):
        if count > 2:
            return False
        if word.group() in verbs:
            return True
        if word.group() not in lead_words:
            return False
    return False
