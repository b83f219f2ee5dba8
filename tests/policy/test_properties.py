"""Properties of the policy that hold for any text or time (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy import decide
from app.policy.calendar import is_business_time
from app.policy.config import Hours
from app.policy.model import COMMENT, CREATED, LEVELS, TicketText

WHEN = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
VOCABULARY = [
    "urgent",
    "URGENT",
    "Urgent:",
    "[urgent]",
    "urgently",
    "urgnet",
    "time",
    "sensitive",
    "time-sensitive",
    "time\u2013sensitive",
    "not",
    "no",
    "never",
    "nothing",
    "without",
    "isn't",
    "don\u2019t",
    "non-urgent",
    "non",
    "but",
    "is",
    "this",
    "the",
    "API",
    "down",
    "locked",
    "out",
    "fraud",
    "threshold",
    "503",
    "please",
    "help",
    "thanks",
    ".",
    ",",
    "?",
    "!",
    ";",
    ":",
    "-",
    "\n",
    "\n\n",
    "On",
    "wrote:",
    "agent",
    "yes",
]
words = st.lists(st.sampled_from(VOCABULARY), max_size=40).map(" ".join)
free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


def level(body: str, subject: str = "", event: str = CREATED, policy=None) -> str:
    return decide(TicketText(event, subject, body, WHEN), policy).urgency


@settings(max_examples=300, deadline=None)
@given(body=words, quoted=st.lists(st.one_of(words, free_text), min_size=1, max_size=5))
def test_adding_quoted_lines_never_changes_the_level(body, quoted, policy):
    quote = "\n".join("> " + line.replace("\n", " ") for line in quoted)
    assert level(body + "\n\n" + quote, policy=policy) == level(body, policy=policy)


@settings(max_examples=300, deadline=None)
@given(
    body=words,
    old=st.one_of(words, free_text),
    header=st.sampled_from(
        [
            "On Mon, Nov 30, 2026 at 9:00 AM Bob <bob@example.com> wrote:",
            "-----Original Message-----",
            "From: Support <support@example.com>\nSent: Monday, November 30, 2026 9:00 AM",
            "##- Please type your reply above this line -##",
        ]
    ),
)
def test_adding_a_quoted_thread_never_changes_the_level(body, old, header, policy):
    assert level(body + "\n\n" + header + "\n" + old, policy=policy) == level(body, policy=policy)


@settings(max_examples=300, deadline=None)
@given(body=words, subject=words, flips=st.lists(st.booleans(), min_size=1))
def test_letter_case_never_changes_the_level(body, subject, flips, policy):
    def recase(text):
        return "".join(ch.upper() if flips[i % len(flips)] else ch.lower() for i, ch in enumerate(text))

    assert level(recase(body), recase(subject), policy=policy) == level(body, subject, policy=policy)


@settings(max_examples=300, deadline=None)
@given(body=words, more=st.one_of(words, free_text), event=st.sampled_from([CREATED, COMMENT]))
def test_appending_a_new_paragraph_never_lowers_the_level(body, more, event, policy):
    before = LEVELS.index(level(body, event=event, policy=policy))
    after = LEVELS.index(level(body + "\n\n" + more, event=event, policy=policy))
    assert after >= before


def _closed(moment: datetime, hours: Hours) -> bool:
    return not is_business_time(moment, hours)


def _is_closing_time(moment: datetime, hours: Hours) -> bool:
    local = moment.astimezone(hours.time_zone)
    return local.time() == hours.close and local.date().weekday() in hours.days and local.date() not in hours.holidays


@settings(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    holidays=st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 1, 31)), max_size=30),
)
def test_time_sensitive_due_is_never_closed_and_never_before_the_event(moment, holidays, policy_with):
    policy = policy_with(hours={"holidays": sorted({d.isoformat() for d in holidays})})
    decision = decide(TicketText(CREATED, "Time sensitive", "", moment), policy)
    due = decision.response_due_at
    assert decision.urgency == "time_sensitive"
    assert due >= moment and due.second == 0 and due.microsecond == 0
    # Open at the due time, or exactly at a closing time (a count that ends at closing ends there)
    assert not _closed(due, policy.hours) or _is_closing_time(due, policy.hours)
    assert is_business_time(due - timedelta(microseconds=1), policy.hours)


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_urgent_due_is_two_hours_after_the_event_rounded_up(moment, policy):
    due = decide(TicketText(CREATED, "URGENT", "", moment), policy).response_due_at
    assert timedelta(hours=2) <= due - moment < timedelta(hours=2, minutes=1)


# Words that move every part of a result: levels, categories, deadlines and the intake items.
INTAKE_VOCABULARY = [
    *VOCABULARY,
    "time sensitive",
    "by",
    "Friday",
    "before",
    "12/15",
    "deadline:",
    "Dec 3",
    "EOD",
    "tomorrow",
    "since",
    "midnight",
    "2am",
    "started at",
    "app 8834-221",
    "A-8Xk2PqL9",
    "https://app.example.com/applications/8834-221",
    "Steps to reproduce:",
    "1. Call the API",
    "2. See the error",
    "fraudulent",
    "incident",
    "ur\u200bgent",
    "\uff35\uff32\uff27\uff25\uff2e\uff34",
    "write down",
    "HTTP",
    "Le 30 nov. 2026, Bob a écrit :",
    "Am 30.11.2026 schrieb Bob:",
]
intake_words = st.lists(st.sampled_from(INTAKE_VOCABULARY), max_size=30).map(" ".join)
QUOTE_HEADERS = [
    "On Mon, Nov 30, 2026 at 9:00 AM Bob <bob@example.com> wrote:",
    "-----Original Message-----",
    "From: Support <support@example.com>\nSent: Monday, November 30, 2026 9:00 AM",
    "##- Please type your reply above this line -##",
    "Le lun. 30 nov. 2026 à 10:00, Support <support@example.com> a écrit :",
    "Am 30.11.2026 um 10:00 schrieb Support <support@example.com>:",
    "El lun, 30 nov 2026 a las 10:00, Support escribió:",
    "Em seg., 30 de nov. de 2026 às 10:00, Support escreveu:",
    "Op ma 30 nov. 2026 om 10:00 schreef Support:",
    "Il 30/11/2026 10:00, Support ha scritto:",
]


def result(body: str, event: str, open_items: frozenset[str], policy) -> tuple:
    ticket = TicketText(event, "Subject", body, WHEN, known_level="none", open_items=open_items)
    d = decide(ticket, policy)
    return (
        d.urgency,
        d.near_miss,
        d.category,
        d.tags,
        d.removed_tags,
        d.deadline,
        d.short_notice,
        d.missing_info,
        d.info_request_reply,
    )


@settings(max_examples=400, deadline=None)
@given(
    body=intake_words,
    old=st.lists(st.one_of(intake_words, free_text), min_size=1, max_size=5),
    header=st.sampled_from([None, *QUOTE_HEADERS]),
    event=st.sampled_from([CREATED, COMMENT]),
    open_items=st.sets(st.sampled_from(["deadline", "start_time", "example_applications", "steps_to_reproduce"])),
)
def test_appending_quoted_text_never_changes_the_result(body, old, header, event, open_items, policy):
    """A '>' block, or a reply header (any of the six languages) and anything after it."""
    if header is None:
        quoted = "\n".join("> " + line.replace("\n", " ") for line in old)
    else:
        quoted = header + "\n" + "\n".join(old)
    items = frozenset(open_items)
    assert result(body + "\n\n" + quoted, event, items, policy) == result(body, event, items, policy)
