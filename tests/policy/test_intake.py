"""POLICY.md section 6: deadlines, short notice, and what urgent fraud and incident reports carry.

Every row goes through the full engine (`decide`) and asserts the deadline, short notice and the
missing items. Unless a row says otherwise the ticket is created Monday 2026-11-30 11:00 ET
(16:00 UTC) with the subject "Time sensitive". Business days are counted after the event's date
up to and including the deadline; fewer than 3 is short notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from app.policy import decide

MON = "2026-11-30T16:00:00Z"  # Mon 11:00 EST
WED = "2026-12-02T16:00:00Z"  # Wed 11:00 EST
FRI = "2026-12-04T16:00:00Z"  # Fri 11:00 EST
SAT = "2026-12-05T15:00:00Z"  # Sat 10:00 EST
SUN = "2026-12-06T15:00:00Z"  # Sun 10:00 EST
TS = "Time sensitive"
D = date.fromisoformat


@dataclass(frozen=True)
class Row:
    id: str
    body: str
    deadline: str | None  # ISO date, or None
    short: bool = False
    missing: tuple[str, ...] = ()
    subject: str = TS
    at: str = MON
    holidays: tuple[str, ...] = ()
    event: str = "created"
    known_level: str | None = None
    open_items: frozenset[str] = frozenset()
    known_category: str | None = None
    removed: tuple[str, ...] = ()  # the tags the event answers (removed_tags)


def r(*args, **kwargs) -> Row:
    return Row(*args, **kwargs)


NO = ("deadline",)  # a time-sensitive ticket that names no deadline
OPEN = frozenset({"deadline"})  # a ticket tagged deadline_missing
ANSWERED = ("deadline_missing",)

DEADLINE_ROWS = [
    # --- the forms people write, from Monday 2026-11-30
    r("by-friday", "Please change the threshold by Friday.", "2026-12-04"),
    r("before-friday", "please update our journey threshold before Friday", "2026-12-04"),
    r("by-wednesday-short", "We need it by Wednesday", "2026-12-02", short=True),
    r("by-thursday-not-short", "We need it by Thursday", "2026-12-03"),
    r("by-thu-abbreviation", "needed by Thu.", "2026-12-03"),
    r("deadline-colon-dec-3", "Deadline: Dec 3", "2026-12-03"),
    r("deadline-is-december-2nd", "Our deadline is December 2nd.", "2026-12-02", short=True),
    r("deadline-dash", "Deadline - 12/14", "2026-12-14"),
    r("before-12-15", "Please ship it before 12/15", "2026-12-15"),
    r("on-12-15", "We go live on 12/15", "2026-12-15"),
    r("eod-tomorrow", "Need this EOD tomorrow", "2026-12-01", short=True),
    r("tomorrow-eod", "need it tomorrow EOD please", "2026-12-01", short=True),
    r("no-later-than-15th", "no later than the 15th", "2026-12-15"),
    r("end-of-month-today", "by the end of the month", "2026-11-30", short=True),
    r("by-eod", "We need it by EOD", "2026-11-30", short=True),
    r("by-end-of-day", "by end of day", "2026-11-30", short=True),
    r("by-tomorrow", "please by tomorrow", "2026-12-01", short=True),
    r("by-monday-is-today", "by Monday", "2026-11-30", short=True),
    r("next-friday", "by next Friday", "2026-12-11"),
    r("end-of-next-week", "by the end of next week", "2026-12-11"),
    # POLICY.md names "end of next week" as a deadline form: it needs no cue, and counts weakly
    r("end-of-next-week-uncued", "we need the threshold updated end of next week", "2026-12-11"),
    r("end-of-the-week-uncued", "please have it live end of the week", "2026-12-04"),
    r("end-of-next-month-uncued", "the report is needed at the end of next month", "2026-12-31"),
    r("end-of-weekend-is-no-week", "we read it at the end of the weekend", None, missing=NO),
    r("strong-cue-outranks-uncued-end", "end of next week is fine, but the deadline is 12/14", "2026-12-14"),
    r("end-of-this-week", "by end of this week", "2026-12-04"),
    r("clock-then-day", "by 5pm ET on Friday", "2026-12-04"),
    r("due-12-1", "due 12/1", "2026-12-01", short=True),
    r("due-today-slash", "due 11/30", "2026-11-30", short=True),
    r("iso", "Deadline: 2026-12-07", "2026-12-07"),
    r("full-year", "by 12/15/2026", "2026-12-15"),
    r("two-digit-year", "by 12/3/26", "2026-12-03"),
    r("month-name-year", "by Dec 1, 2026", "2026-12-01", short=True),
    r("weekday-and-date", "please have it done by Thursday, Dec 3", "2026-12-03"),
    r("friday-deadline", "Friday deadline for the new tag", "2026-12-04"),
    r("needed-by", "needed by 12/2", "2026-12-02", short=True),
    r("the-1st", "by the 1st", "2026-12-01", short=True),
    r("go-live-subject", "", "2026-12-04", subject="Time-sensitive: go live Friday"),
    r("strong-beats-weak", "We have a call on 12/3, the deadline is 12/15", "2026-12-15"),
    r("earliest-strong", "by Friday, Dec 11 at the latest, ideally by Wednesday", "2026-12-02", short=True),
    r("past-date-ignored", "It broke on 11/20, please fix by 12/10", "2026-12-10"),
    r("past-weekday-on-ignored", "It broke on Monday; need it by Friday", "2026-12-04"),
    # --- a weekday is that day of the event's week, Sunday to Saturday; a past one is no deadline
    r("wed-by-monday-past", "by Monday", None, missing=NO, at=WED),
    r("wed-before-tuesday-past", "please update it before Tuesday", None, missing=NO, at=WED),
    r("wed-by-wednesday-today", "by Wednesday", "2026-12-02", short=True, at=WED),
    r("wed-deadline-friday", "Deadline: Friday", "2026-12-04", short=True, at=WED),
    r("wed-this-friday", "by this Friday", "2026-12-04", short=True, at=WED),
    r("wed-on-monday-past-by-friday", "It broke on Monday; need it by Friday", "2026-12-04", short=True, at=WED),
    r("wed-next-monday", "by next Monday", "2026-12-07", at=WED),
    r("wed-coming-monday", "by the coming Monday", "2026-12-07", at=WED),
    r("wed-eod-monday-past", "EOD Monday", None, missing=NO, at=WED),
    r("wed-monday-deadline-past", "Monday deadline for the new tag", None, missing=NO, at=WED),
    r("mon-by-sunday-past", "by Sunday", None, missing=NO),
    r("mon-by-saturday", "by Saturday", "2026-12-05"),
    # --- the following week, named after the weekday or before it, with or without a cue
    r("fri-by-monday-next-week", "by Monday next week", "2026-12-07", short=True, at=FRI),
    r("fri-monday-next-week", "We need the new rule live Monday next week", "2026-12-07", short=True, at=FRI),
    r("sat-friday-next-week", "Friday next week at the latest", "2026-12-11", at=SAT),
    r("sat-by-friday-next-week", "by Friday next week", "2026-12-11", at=SAT),
    r("mon-by-friday-next-week", "by Friday next week", "2026-12-11"),
    r("mon-next-week-friday", "next week Friday", "2026-12-11"),
    r("fri-by-next-week-friday", "by next week Friday", "2026-12-11", at=FRI),
    r("wed-monday-of-next-week", "please by Monday of next week", "2026-12-07", at=WED),
    r("mon-next-week-on-monday", "We go live next week, on Monday", "2026-12-07"),
    r("sun-monday-next-week", "Monday next week", "2026-12-14", at=SUN),
    r("mon-next-friday-without-cue", "We deploy next Friday", "2026-12-11"),
    r("mon-next-monday-loses-to-strong", "We have a call next Monday; the deadline is 12/15", "2026-12-15"),
    r("mon-friday-this-week", "by Friday this week", "2026-12-04"),
    r("sat-friday-this-week-past", "by Friday this week", None, missing=NO, at=SAT),
    r("mon-bare-weekday-is-not-a-deadline", "It broke Friday", None, missing=NO, at=SUN),
    r("mon-by-next-week-is-vague", "by next week", None, missing=NO),
    # --- more forms: today, year-first and dashed dates, the weekend, end of day
    r("done-today", "We need this done today", "2026-11-30", short=True),
    r("fri-done-today", "done today please", "2026-12-04", short=True, at=FRI),
    r("sat-by-today", "by today", "2026-12-05", short=True, at=SAT),
    r("is-needed-tomorrow", "This is needed tomorrow", "2026-12-01", short=True),
    r("needed-alone-is-no-cue", "We needed today's export", None, missing=NO),
    r("done-the-1st-step-is-no-date", "We have done the 1st step already", None, missing=NO),
    r("the-15th-of-next-month", "by the 15th of next month", "2026-12-15", at="2026-11-10T15:00:00Z"),
    r("the-15th-of-this-month-past", "by the 15th of this month", None, missing=NO, at="2026-11-20T15:00:00Z"),
    r("the-15th-of-january", "by the 15th of January, 2027", "2027-01-15", at="2026-11-20T15:00:00Z"),
    r("need-it-friday", "we need it Friday", "2026-12-04"),
    r("slashed-year-first", "by 2026/12/04", "2026-12-04"),
    r("iso-single-digit-day", "by 2026-12-4", "2026-12-04"),
    r("iso-wed", "Deadline: 2026-12-04", "2026-12-04", short=True, at=WED),
    r("dashed-month-day", "by 12-15", "2026-12-15"),
    r("dashed-month-day-short", "due 12-2", "2026-12-02", short=True),
    r("dashed-with-year", "due 12-15-2026", "2026-12-15"),
    r("dashed-range-of-minutes", "it takes 10-15 minutes, by 10-15 minutes please", None, missing=NO),
    r("dashed-range-of-days", "expect it within 3-5 business days, before 3-5 days", None, missing=NO),
    r("dashed-clock-range", "by 9-10 am", None, missing=NO),
    r("dashed-past", "by 11-2", None, missing=NO),
    r("dashed-not-a-date", "by 13-45", None, missing=NO),
    r("before-the-weekend", "Please update it before the weekend", "2026-12-04"),
    r("fri-before-the-weekend", "before the weekend", "2026-12-04", short=True, at=FRI),
    r("sat-before-the-weekend-rolls", "before the weekend", "2026-12-11", at=SAT),
    r("sun-by-the-weekend", "by the weekend", "2026-12-11", at=SUN),
    r("before-next-weekend", "before next weekend", "2026-12-11"),
    r("on-the-weekend-is-not-a-deadline", "we deploy on the weekend", None, missing=NO),
    r("fri-by-end-of-day", "by end of day", "2026-12-04", short=True, at=FRI),
    r("sat-by-eod", "by EOD", "2026-12-05", short=True, at=SAT),
    r("sun-by-end-of-business-day", "by end of business day", "2026-12-06", short=True, at=SUN),
    # --- a day of the month alone is the next such day, across a month or year end
    r("nov-no-later-than-15th-rolls", "no later than the 15th", "2026-12-15", at="2026-11-20T15:00:00Z"),
    r("nov-by-the-31st", "by the 31st", "2026-12-31", at="2026-11-20T15:00:00Z"),
    r("dec-by-the-5th-rolls-into-january", "by the 5th", "2027-01-05", at="2026-12-28T15:00:00Z"),
    r("dec-by-the-2nd-short", "no later than the 2nd", "2027-01-02", short=True, at="2026-12-30T15:00:00Z"),
    # --- no deadline
    r("asap", "Please do it ASAP", None, missing=NO),
    r("soon", "We need it soon", None, missing=NO),
    r("next-few-days", "in the next few days", None, missing=NO),
    r("past-date", "by Nov 27", None, missing=NO),
    r("past-date-with-year", "before 12/15/2025", None, missing=NO),
    r("impossible-date", "by 2/30", None, missing=NO),
    r("no-cue", "The 12/15 release notes", None, missing=NO),
    # --- weekends: Friday, Saturday and Sunday events
    r("fri-by-monday-past", "by Monday", None, missing=NO, at=FRI),
    r("fri-by-next-monday", "by next Monday", "2026-12-07", short=True, at=FRI),
    r("fri-by-next-tuesday", "by next Tuesday", "2026-12-08", short=True, at=FRI),
    r("fri-by-next-wednesday", "by next Wednesday", "2026-12-09", at=FRI),
    r("fri-by-friday-today", "by Friday", "2026-12-04", short=True, at=FRI),
    r("fri-by-saturday", "by Saturday", "2026-12-05", short=True, at=FRI),
    r("sat-by-friday-past", "by Friday", None, missing=NO, at=SAT),
    r("sat-friday-eod-past", "Friday EOD", None, missing=NO, at=SAT),
    r("sat-by-saturday-today", "by Saturday", "2026-12-05", short=True, at=SAT),
    r("sat-by-next-friday", "by next Friday", "2026-12-11", at=SAT),
    r("sat-by-next-tuesday", "by next Tuesday", "2026-12-08", short=True, at=SAT),
    r("sat-by-next-wednesday", "by next Wednesday", "2026-12-09", at=SAT),
    r("sat-end-of-week-rolls", "by the end of the week", "2026-12-11", at=SAT),
    r("sun-by-friday-coming", "by Friday", "2026-12-11", at=SUN),
    r("sun-by-tuesday-short", "by Tuesday", "2026-12-08", short=True, at=SUN),
    r("sun-by-sunday-today", "by Sunday", "2026-12-06", short=True, at=SUN),
    r("sun-next-friday", "by next Friday", "2026-12-18", at=SUN),
    r("sun-eod-tomorrow", "EOD tomorrow", "2026-12-07", short=True, at=SUN),
    r("sun-end-of-week", "by the end of the week", "2026-12-11", at=SUN),
    r("sun-end-of-next-week", "by the end of next week", "2026-12-18", at=SUN),
    # --- the event's local date, not UTC's
    r("late-monday-et-tomorrow", "by tomorrow", "2026-12-01", short=True, at="2026-12-01T03:00:00Z"),
    r("late-monday-et-today", "by today", "2026-11-30", short=True, at="2026-12-01T04:59:00Z"),
    r("early-tuesday-utc-friday", "by Friday", "2026-12-04", at="2026-12-01T05:00:00Z"),
    # --- month and year ends
    r("jan-end-of-month", "by the end of the month", "2026-01-31", short=True, at="2026-01-29T15:00:00Z"),
    r("sep-end-of-next-month", "by the end of next month", "2026-10-31", at="2026-09-30T15:00:00Z"),
    r("sep-eom-today", "EOM", "2026-09-30", short=True, at="2026-09-30T15:00:00Z"),
    r("year-end-jan-5-past", "by Jan 5", None, missing=NO, at="2026-12-28T15:00:00Z"),
    r("year-end-1-2-past", "by 1/2", None, missing=NO, at="2026-12-28T15:00:00Z"),
    r("year-end-jan-5-with-year", "by Jan 5, 2027", "2027-01-05", at="2026-12-28T15:00:00Z"),
    r("year-end-1-2-27", "by 1/2/27", "2027-01-02", at="2026-12-28T15:00:00Z"),
    r("year-end-dec-31", "by Dec 31", "2026-12-31", short=True, at="2026-12-30T15:00:00Z"),
    r("year-end-end-of-year", "by the end of the year", "2026-12-31", at="2026-12-28T15:00:00Z"),
    r("year-end-far-past", "by Nov 1", None, missing=NO, at="2026-12-28T15:00:00Z"),
    # --- holidays (configured) count as closed
    r(
        "end-of-year-holiday",
        "by the end of the year",
        "2026-12-31",
        True,
        at="2026-12-28T15:00:00Z",
        holidays=("2026-12-31",),
    ),
    r(
        "new-year-holidays",
        "by 1/4/2027",
        "2027-01-04",
        short=True,
        at="2026-12-28T15:00:00Z",
        holidays=("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"),
    ),
    r("thanksgiving-short", "by next Monday", "2026-11-30", True, at="2026-11-25T15:00:00Z", holidays=("2026-11-26",)),
    r("thanksgiving-no-holiday", "by next Monday", "2026-11-30", at="2026-11-25T15:00:00Z"),
    r(
        "christmas",
        "by next Monday",
        "2026-12-28",
        True,
        at="2026-12-23T15:00:00Z",
        holidays=("2026-12-24", "2026-12-25"),
    ),
    # --- daylight-saving weeks
    r("dst-march-tuesday", "by next Tuesday", "2026-03-10", short=True, at="2026-03-06T23:00:00Z"),
    r("dst-march-wednesday", "by next Wednesday", "2026-03-11", at="2026-03-06T23:00:00Z"),
    r("dst-march-sunday-tomorrow", "EOD tomorrow", "2026-03-09", short=True, at="2026-03-08T06:30:00Z"),
    r("dst-november-wednesday", "by Wednesday", "2026-11-04", at="2026-11-01T05:30:00Z"),
    r("dst-november-sunday-night", "tomorrow EOD", "2026-11-02", short=True, at="2026-11-02T03:30:00Z"),
    # --- only time-sensitive tickets have deadlines: urgent ones and ones with no level get none,
    # also when their report items are checked (urgent fraud and incident, open report items)
    r("urgent-has-none", "fix it by Friday", None, subject="URGENT"),
    r("none-has-none", "fix it by Friday", None, subject="Question"),
    r("negated-ts-has-none", "not time sensitive, by Friday is fine", None, subject="Question"),
    r(
        "urgent-incident-date-has-none",
        "API outage, all calls fail. We need it fixed by Wednesday.",
        None,
        missing=("start_time", "steps_to_reproduce"),
        subject="URGENT",
    ),
    r(
        "urgent-fraud-date-has-none",
        "Fraud attack since midnight (app 8834-221), stop it by tomorrow",
        None,
        subject="URGENT",
    ),
    r(
        "ts-incident-date-has-one",
        "API outage, all calls fail. We need it fixed by Wednesday.",
        "2026-12-02",
        short=True,
    ),
    r(
        "urgent-comment-date-has-none",
        "URGENT: the API is down, fix it by Wednesday",
        None,
        missing=("start_time", "steps_to_reproduce"),
        event="comment",
    ),
    r(
        "none-comment-on-open-report-date-has-none",
        "It started at 2am ET. We need it by Wednesday.",
        None,
        event="comment",
        known_level="urgent",
        known_category="incident",
        open_items=frozenset({"start_time"}),
        removed=("missing_start_time", "info_missing"),
    ),
    # --- comments
    r("comment-raises-with-deadline", "Now time sensitive: by Friday", "2026-12-04", event="comment"),
    r("comment-raises-without-deadline", "This is now time sensitive", None, missing=NO, event="comment"),
    r("comment-same-level-no-reopen", "still time sensitive", None, event="comment", known_level="time_sensitive"),
    r(
        "comment-supplies-deadline",
        "The deadline is Wednesday.",
        "2026-12-02",
        short=True,
        subject="",
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
    r(
        "comment-does-not-supply",
        "Any news?",
        None,
        missing=NO,
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
    ),
    r("comment-none-without-open-item", "by Friday please", None, event="comment", known_level="time_sensitive"),
    # --- an open deadline is answered by a later comment whatever its level
    r(
        "ts-comment-supplies-deadline",
        "Still time sensitive: the deadline is Friday",
        "2026-12-04",
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
    r(
        "none-comment-supplies-deadline-next-week",
        "Friday next week would be fine",
        "2026-12-11",
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
    r(
        "urgent-comment-with-deadline-clears-it",
        "This is now URGENT, we need it by Wednesday",
        None,
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
    r(
        "urgent-comment-without-deadline-clears-it",
        "This is urgent now, please call me.",
        None,
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
    r(
        "urgent-incident-comment-clears-deadline-opens-report",
        "URGENT: now the API is down since 2am, fix it by Friday",
        None,
        missing=("steps_to_reproduce",),
        event="comment",
        known_level="time_sensitive",
        open_items=OPEN,
        removed=ANSWERED,
    ),
]

U = "URGENT"
REPORT_ROWS = [
    # --- incident: start time and steps to reproduce
    r(
        "incident-complete",
        "API down since 2am ET.\nSteps to reproduce:\n1. POST /v1/evaluations\n2. See 503",
        None,
        subject=U,
    ),
    r("incident-no-steps", "The API is down since 2am ET.", None, missing=("steps_to_reproduce",), subject=U),
    r(
        "incident-no-start",
        "API down.\nTo reproduce:\n- call /v1/evaluations",
        None,
        missing=("start_time",),
        subject=U,
    ),
    r("incident-neither", "The API is down.", None, missing=("start_time", "steps_to_reproduce"), subject=U),
    r(
        "incident-causal-since",
        "API down since we rotated keys",
        None,
        missing=("start_time", "steps_to_reproduce"),
        subject=U,
    ),
    r(
        "incident-started-at",
        "Webhooks stopped working, started at 2:15am EST",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r(
        "incident-verb-words-at",
        "The SDK started timing out around 9:40",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r("incident-time-first", "At 3pm ET the dashboard went down", None, missing=("steps_to_reproduce",), subject=U),
    r("incident-yesterday", "dashboard not loading since yesterday", None, missing=("steps_to_reproduce",), subject=U),
    r("incident-ago", "outage began about 2 hours ago", None, missing=("steps_to_reproduce",), subject=U),
    r(
        "incident-numbered-actions",
        "Outage since 10:02.\n1. Call POST /v1/evaluations\n2. Observe the 502",
        None,
        subject=U,
    ),
    r(
        "incident-endpoints-are-not-steps",
        "Outage since 10:02. Affected endpoints:\n1. /v1/evaluations\n2. /v1/entities",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r(
        "incident-bullets-without-heading",
        "Outage since 10:02.\n- evaluations\n- entities",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r("incident-one-action", "Outage since 10:02.\n1. Call the API", None, missing=("steps_to_reproduce",), subject=U),
    r(
        "incident-inline-steps",
        "Since 9am. To reproduce, call /v1 and see 500.",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    # --- a numbered list written on one line (chat, messaging)
    r(
        "incident-one-line-steps-under-heading",
        "API down since 9am. Steps to reproduce: 1. open the dashboard 2. click Export 3. see the 500",
        None,
        subject=U,
    ),
    r(
        "incident-one-line-actions",
        "Outage since 10:02: 1. Call POST /v1/evaluations 2. Observe the 502",
        None,
        subject=U,
    ),
    r(
        "incident-one-line-step-n",
        "Outage since 10:02. Step 1: open the dashboard, step 2: click Export",
        None,
        subject=U,
    ),
    r(
        "incident-list-starts-inline-goes-on-next-line",
        "Outage since 10:02. Repro: 1. open the dashboard\n2. click Export",
        None,
        subject=U,
    ),
    r(
        "incident-one-line-endpoints-are-not-steps",
        "Outage since 10:02. Affected endpoints: 1. /v1/evaluations 2. /v1/entities",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r(
        "incident-one-line-things-are-not-steps",
        "Outage since 10:02 on 1. the dashboard 2. the export page",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    r(
        "incident-numbers-in-prose-are-not-steps",
        "Outage since 10:02. We retried 2. times; version 1. works, 2. open issues remain",
        None,
        missing=("steps_to_reproduce",),
        subject=U,
    ),
    # --- fraud attack: start time and example applications
    r("fraud-complete", "Fraud attack since midnight, e.g. app 8834-221", None, subject=U),
    r("fraud-token", "fraudulent applications started at 2am: A-8Xk2PqL9", None, subject=U),
    r("fraud-url", "Fraud since 1am: https://app.example.com/applications/8834-221", None, subject=U),
    r("fraud-monday-morning", "fraud beginning Monday morning, application id 55501", None, subject=U),
    r("fraud-no-examples", "Fraud attack since midnight.", None, missing=("example_applications",), subject=U),
    r(
        "fraud-later",
        "Fraud since midnight; we will send examples later",
        None,
        missing=("example_applications",),
        subject=U,
    ),
    r("fraud-phone", "Fraud since 1am, call me at 555-123-4567", None, missing=("example_applications",), subject=U),
    r("fraud-request-id", "Fraud since 1am, request id 8834-221", None, missing=("example_applications",), subject=U),
    r(
        "fraud-request-url",
        "Fraud since 1am: https://api.example.com/v1/requests/8834-221",
        None,
        missing=("example_applications",),
        subject=U,
    ),
    r("fraud-e-commerce", "Fraud since 1am on our e-commerce site", None, missing=("example_applications",), subject=U),
    r("fraud-nothing", "Fraud attack!", None, missing=("example_applications", "start_time"), subject=U),
    # --- other categories and levels have no report items
    r("account-access-none", "locked out", None, subject=U),
    r("workflow-none", "change the workflow", None, subject=U),
    r("ts-incident-only-deadline", "API down", None, missing=NO),
    r("none-incident", "API down", None, subject="question"),
]

ROWS = DEADLINE_ROWS + REPORT_ROWS


def test_the_table_is_large_and_ids_are_unique():
    assert len(DEADLINE_ROWS) >= 60
    assert len({row.id for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row, policy, policy_with, ticket):
    if row.holidays:
        policy = policy_with(hours={"holidays": list(row.holidays)})
    decision = decide(
        ticket(
            row.body,
            row.subject,
            event=row.event,
            at=row.at,
            known_level=row.known_level,
            known_category=row.known_category,
            open_items=row.open_items,
        ),
        policy,
    )
    expected = D(row.deadline) if row.deadline else None
    assert (decision.deadline, decision.short_notice, decision.missing_info) == (expected, row.short, row.missing), (
        decision.explanation
    )
    assert ("short_notice" in decision.tags) == row.short
    assert ("deadline_missing" in decision.tags) == ("deadline" in row.missing and not row.open_items)
    assert decision.removed_tags == row.removed


# --- tags, removed tags, notes


def test_deadline_in_the_note_quotes_the_customer(policy, ticket):
    decision = decide(
        ticket("please update our journey threshold before Friday", TS, at="2026-11-30T23:00:00Z"), policy
    )
    assert decision.deadline == D("2026-12-04") and not decision.short_notice
    assert (
        'Deadline: Fri 2026-12-04, from "before Friday" in the body ("please update our journey threshold before '
        "Friday\"); 4 business days after the event's date (Mon 2026-11-30): not short notice." in decision.explanation
    )
    assert "short_notice" not in decision.tags


def test_short_notice_is_tagged_and_said(policy, ticket):
    decision = decide(ticket("by Wednesday", TS), policy)
    assert decision.tags == ("urgency_time_sensitive", "category_other", "short_notice")
    assert "2 business days after the event's date (Mon 2026-11-30), fewer than 3: short notice" in decision.explanation


def test_missing_deadline_is_tagged_and_said(policy, ticket):
    decision = decide(ticket("please change the threshold", TS), policy)
    assert decision.tags == ("urgency_time_sensitive", "category_workflow_update", "deadline_missing")
    assert decision.missing_info == ("deadline",)
    assert "Deadline: none found" in decision.explanation and "Tagged deadline_missing." in decision.explanation


def test_a_sentence_end_is_not_part_of_the_deadline(policy, ticket):
    decision = decide(ticket("Please update it before Friday. Thanks! Or by Fri. at the latest", TS), policy)
    assert next(e for e in decision.evidence if e.kind == "deadline").text == "before Friday"


def test_deadline_evidence_quotes_the_original_text(policy, ticket):
    body = "Please ship it b\u200by \uff26riday"
    decision = decide(ticket(body, TS), policy)
    evidence = next(e for e in decision.evidence if e.kind == "deadline")
    assert decision.deadline == D("2026-12-04")
    assert evidence.text == "b\u200by \uff26riday" and body[evidence.offset :].startswith(evidence.text)


def test_a_comment_that_supplies_the_deadline_clears_deadline_missing(policy, ticket):
    decision = decide(
        ticket(
            "Deadline is Wednesday", event="comment", known_level="time_sensitive", open_items=frozenset({"deadline"})
        ),
        policy,
    )
    assert decision.urgency == "none"
    assert decision.tags == ("short_notice",)
    assert decision.removed_tags == ("deadline_missing",)
    assert "deadline_missing removed" in decision.explanation


def test_an_urgent_comment_withdraws_the_open_deadline_and_says_so(policy, ticket):
    decision = decide(
        ticket(
            "This is now URGENT, we need it by Wednesday",
            event="comment",
            known_level="time_sensitive",
            open_items=frozenset({"deadline"}),
        ),
        policy,
    )
    assert decision.urgency == "urgent" and decision.deadline is None and not decision.short_notice
    assert decision.removed_tags == ("deadline_missing",) and decision.missing_info == ()
    assert "short_notice" not in decision.tags and not any(e.kind == "deadline" for e in decision.evidence)
    assert (
        "Deadline: no longer asked, the ticket is now urgent (answered within 120 minutes, whatever its deadline). "
        "deadline_missing removed." in decision.explanation
    )


def test_one_line_steps_quote_the_heading_with_the_list_as_context(policy, ticket):
    body = "API down since 9am. Steps to reproduce: 1. open the dashboard 2. click Export 3. see the 500"
    decision = decide(ticket(body, "URGENT"), policy)
    steps = next(e for e in decision.evidence if e.label == "steps_to_reproduce")
    assert steps.text == "Steps to reproduce:" and body[steps.offset :].startswith(steps.text)
    assert "1. open the dashboard" in steps.context


def test_one_line_actions_quote_the_actions(policy, ticket):
    body = "Outage since 10:02: 1. Call POST /v1/evaluations 2. Observe the 502"
    steps = next(e for e in decide(ticket(body, "URGENT"), policy).evidence if e.label == "steps_to_reproduce")
    assert steps.text == "Call POST /v1/evaluations 2. Observe the 502"


def test_urgent_incident_missing_steps(policy, ticket):
    decision = decide(
        ticket("since 9:40 all calls fail", "URGENT: API returning 503", at="2026-11-27T15:00:00Z"), policy
    )
    assert decision.tags == ("urgency_urgent", "category_incident", "info_missing", "missing_steps_to_reproduce")
    assert decision.missing_info == ("steps_to_reproduce",)
    assert (
        'Intake (urgent incident asks for start time, steps to reproduce): found start time, "since 9:40" in the '
        'body ("since 9:40 all calls fail"). Missing: steps to reproduce. Tagged info_missing, '
        "missing_steps_to_reproduce." in decision.explanation
    )


def test_html_ordered_list_under_a_heading_is_steps(policy, ticket):
    body = "<p>API down since 2am.</p><p>To reproduce:</p><ol><li>Open the dashboard</li><li>Click Run</li></ol>"
    decision = decide(ticket(body, "URGENT", body_is_html=True), policy)
    assert decision.missing_info == ()
    steps = next(e for e in decision.evidence if e.label == "steps_to_reproduce")
    assert steps.text == "To reproduce:"


def test_html_link_to_one_application_is_an_example(policy, ticket):
    body = '<p>Fraud since 1am, see <a href="https://dashboard.example.com/entities/P-8Xk2PqL9aB">this one</a></p>'
    decision = decide(ticket(body, "URGENT", body_is_html=True), policy)
    assert decision.category == "fraud_attack" and decision.missing_info == ()
    link = next(e for e in decision.evidence if e.label == "example_applications")
    assert link.field == "link" and link.text == "https://dashboard.example.com/entities/P-8Xk2PqL9aB"


def test_a_link_inside_quoted_mail_is_not_read(policy, ticket):
    body = (
        '<p>Fraud since 1am</p><blockquote><a href="https://x.example.com/applications/8834-221">old</a></blockquote>'
    )
    assert decide(ticket(body, "URGENT", body_is_html=True), policy).missing_info == ("example_applications",)


def test_a_later_comment_supplies_an_item_and_clears_its_tag(policy, ticket):
    decision = decide(
        ticket(
            "It started at 2am ET.",
            event="comment",
            known_level="urgent",
            known_category="incident",
            open_items=frozenset({"start_time", "steps_to_reproduce"}),
        ),
        policy,
    )
    assert decision.urgency == "none" and decision.category == "incident"
    assert decision.tags == ()
    assert decision.removed_tags == ("missing_start_time",)
    assert decision.missing_info == ("steps_to_reproduce",)
    assert 'Supplied in this message: start time, "started at 2am ET" in the body' in decision.explanation
    assert "Still missing: steps to reproduce." in decision.explanation


def test_the_last_open_item_clears_info_missing(policy, ticket):
    decision = decide(
        ticket(
            "Steps to reproduce:\n1. Open the dashboard\n2. Click Evaluate",
            event="comment",
            known_level="urgent",
            known_category="incident",
            open_items=frozenset({"steps_to_reproduce"}),
        ),
        policy,
    )
    assert decision.removed_tags == ("missing_steps_to_reproduce", "info_missing")
    assert decision.missing_info == ()


def test_a_repeated_urgent_comment_does_not_reopen_items(policy, ticket):
    decision = decide(
        ticket("Still down, urgent!", event="comment", known_level="urgent", known_category="incident"), policy
    )
    assert decision.tags == ("urgency_urgent", "category_incident")
    assert decision.missing_info == ()


def test_an_urgent_comment_that_makes_it_an_incident_opens_the_items(policy, ticket):
    decision = decide(
        ticket("URGENT: now the API is down", event="comment", known_level="urgent", known_category="account_access"),
        policy,
    )
    assert decision.missing_info == ("start_time", "steps_to_reproduce")
    assert "info_missing" in decision.tags


def test_open_items_come_from_tags(policy):
    tags = ("urgency_urgent", "info_missing", "missing_start_time", "deadline_missing", "missing_bogus")
    assert policy.tags.open_items(tags) == {"start_time", "deadline"}


# --- the optional public reply asking for the missing items


def with_info_request(policy_with, raw_policy, **hours):
    request = dict(raw_policy["intake"]["info_request"], enabled=True)
    return policy_with(intake={**raw_policy["intake"], "info_request": request}, **({"hours": hours} if hours else {}))


def test_info_request_is_off_by_default(policy, ticket):
    assert decide(ticket("Fraud attack!", "URGENT"), policy).info_request_reply is None


def test_info_request_asks_for_exactly_the_missing_items(policy_with, raw_policy, ticket):
    policy = with_info_request(policy_with, raw_policy)
    decision = decide(ticket("Fraud attack since midnight!", "URGENT"), policy)
    reply = decision.info_request_reply
    assert reply is not None
    assert "- a few example applications, with their tokens or dashboard URLs" in reply
    assert "when the problem started" not in reply
    assert "stay available" in reply
    assert "info_requested" in decision.explanation


def test_info_request_is_not_offered_when_nothing_is_missing_or_nothing_new(policy_with, raw_policy, ticket):
    policy = with_info_request(policy_with, raw_policy)
    assert decide(ticket("Fraud since midnight: app 8834-221", "URGENT"), policy).info_request_reply is None
    comment = ticket("any news?", event="comment", known_level="urgent", known_category="fraud_attack",
                     open_items=frozenset({"start_time"}))  # fmt: skip
    assert decide(comment, policy).info_request_reply is None


def test_info_request_is_offered_again_while_items_stay_missing_but_noted_once(policy_with, raw_policy, ticket):
    """The worker sends it once per ticket (by tag); the engine keeps offering it on urgent events,
    so a retry that re-decides on the ticket it already tagged still owes a reply that failed."""
    policy = with_info_request(policy_with, raw_policy)
    repeat = ticket(
        "Still down, urgent!",
        event="comment",
        known_level="urgent",
        known_category="incident",
        open_items=frozenset({"steps_to_reproduce"}),
    )
    decision = decide(repeat, policy)
    assert decision.info_request_reply is not None
    assert "- the steps our team can take to reproduce the issue" in decision.info_request_reply
    assert "when the problem started" not in decision.info_request_reply  # not open: a repeat re-opens nothing
    assert decision.tags == ("urgency_urgent", "category_incident")  # nothing re-opened
    assert "info_requested" not in decision.explanation


def test_info_request_text_fills_business_hours_from_config(policy_with, raw_policy, ticket):
    request = dict(
        raw_policy["intake"]["info_request"],
        enabled=True,
        text="Please send:\n{missing_items}\nWe are open {business_hours}.",
    )
    policy = policy_with(intake={**raw_policy["intake"], "info_request": request}, hours={"close": "18:00"})
    reply = decide(ticket("API down", "URGENT"), policy).info_request_reply
    assert reply == (
        "Please send:\n- when the problem started (date, time and time zone)\n"
        "- the steps our team can take to reproduce the issue\n"
        "We are open Monday to Friday, 8 am to 6 pm New York time."
    )
