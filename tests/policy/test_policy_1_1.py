"""POLICY.md section 7 (policy 1.1): every rule, in both directions, through `decide`."""

from __future__ import annotations

import pytest

from app.policy import decide
from app.policy.fields import read_field
from app.policy.normalize import normalise
from app.policy.text import html_to_text, remove_quoted

URGENT, TS, NONE = "urgent", "time_sensitive", "none"


def level(text, policy, ticket, **options):
    return decide(ticket(text, "x", **options), policy).urgency


# --- Negation words: cannot, can not, apostrophe-less forms; a clause break ends the reach


@pytest.mark.parametrize(
    "text, negator",
    [
        ("This cannot be urgent", "cannot"),
        ("This can not be urgent", "can not"),
        ("It isnt urgent", "isnt"),
        ("They arent urgent", "arent"),
        ("It wasnt urgent", "wasnt"),
        ("They werent time sensitive", "werent"),
        ("We dont consider it urgent", "dont"),
        ("It doesnt seem urgent", "doesnt"),
        ("It didnt get urgent", "didnt"),
        ("It wont be urgent", "wont"),
        ("It cant be urgent", "cant"),
        ("It shouldnt be time-sensitive", "shouldnt"),
        ("CANNOT be URGENT", "cannot"),
    ],
)
def test_new_negation_words_negate(text, negator, policy, ticket):
    decision = decide(ticket(text, "x"), policy)
    assert decision.urgency == NONE
    assert [e.negator for e in decision.evidence if e.kind == "negated"] == [negator]
    assert f'negated by "{negator}"' in decision.explanation


@pytest.mark.parametrize(
    "text",
    [
        "No, this is urgent",
        "I cant say more: this is urgent",
        "We cannot log in, urgent!",
        "It isnt working; urgent",
        "Dont wait but treat it as urgent",
        "We can not wait however this is urgent",
        "cannot. Urgent.",
        "Cant\n\nurgent",
        "The candidate is urgent",  # "can" alone is no negator
        "A cantilever is urgent",  # nor a word that starts like one
    ],
)
def test_a_clause_break_or_another_word_ends_the_negation(text, policy, ticket):
    assert level(text, policy, ticket) == URGENT


def test_negation_words_are_configurable(policy_with, ticket):
    custom = policy_with(negation={"words": ["not"], "phrases": []})
    assert decide(ticket("It cannot be urgent", "x"), custom).urgency == URGENT
    assert decide(ticket("It can not be urgent", "x"), custom).urgency == NONE  # "not" is still there


# --- Invisible and look-alike characters


@pytest.mark.parametrize(
    "text, found",
    [
        ("ur\u200bgent", "ur\u200bgent"),
        ("ur\u200cgent please", "ur\u200cgent"),
        ("u\u200drgent", "u\u200drgent"),
        ("urg\u2060ent", "urg\u2060ent"),
        ("\ufeffurgent", "urgent"),
        ("ur\u00adgent", "ur\u00adgent"),
        ("\uff35\uff32\uff27\uff25\uff2e\uff34", "\uff35\uff32\uff27\uff25\uff2e\uff34"),  # full-width URGENT
        ("\uff55rgent!", "\uff55rgent"),
        ("time\u200b sensitive", "time\u200b sensitive"),
        ("\uff34\uff49\uff4d\uff45 \uff53\uff45\uff4e\uff53\uff49\uff54\uff49\uff56\uff45", None),
    ],
)
def test_invisible_and_full_width_characters_count_and_the_note_quotes_the_original(text, found, policy, ticket):
    decision = decide(ticket(f"Hello. {text} now", "x"), policy)
    assert decision.urgency in (URGENT, TS)
    term = next(e for e in decision.evidence if e.kind == "term" and e.field == "body")
    body = f"Hello. {text} now"
    assert body[term.offset : term.offset + len(term.text)] == term.text
    if found:
        assert term.text == found
    assert f'"{term.text}" in the body' in decision.explanation


@pytest.mark.parametrize(
    "text",
    [
        "ur gent",  # a visible space is not invisible
        "ur\u00b7gent",  # a middle dot is a character
        "\uff55\uff52\uff47\uff45\uff4e\uff54\uff4c\uff59",  # full-width "urgently": a near miss, not a term
        "non-\u200burgent",  # the prefix still negates
        "not ur\u200bgent",
    ],
)
def test_what_normalising_does_not_turn_into_a_term(text, policy, ticket):
    assert level(text, policy, ticket) == NONE


def test_offsets_after_a_ligature_and_full_width_text_point_at_the_original(policy, ticket):
    body = "\ufb01le \uff21\uff30\uff29 down\u200b\u200b, this is urgent"  # an fi ligature, full-width API, zero-width spaces
    decision = decide(ticket(body, "x"), policy)
    term = next(e for e in decision.evidence if e.kind == "term")
    assert body[term.offset : term.offset + len(term.text)] == "urgent"
    category = next(e for e in decision.evidence if e.kind == "category")
    assert category.text == "down" and body[category.offset : category.offset + 4] == "down"


def test_normalise_maps_spans_back_through_removed_and_expanded_characters():
    original = "a\u200bb \ufb01x \uff35Z"
    normalised = normalise(original)
    assert normalised.text == "ab fix UZ"
    start = normalised.text.index("fix")
    assert original[slice(*normalised.span(start, start + 3))] == "\ufb01x"
    start = normalised.text.index("UZ")
    assert original[slice(*normalised.span(start, start + 2))] == "\uff35Z"
    assert normalise("plain ascii").span(2, 5) == (2, 5)


def test_invisible_characters_also_hide_nothing_in_category_words(policy, ticket):
    assert decide(ticket("fr\u200baud on signups", "URGENT"), policy).category == "fraud_attack"


# --- Paragraphs: "time" and "sensitive" a blank line apart


@pytest.mark.parametrize(
    "text",
    ["time\n\nsensitive", "Please reply in time\n\nSensitive data below", "time \n \t \nsensitive", "time\n\nsenstive"],
)
def test_time_and_sensitive_a_paragraph_apart_are_neither_term_nor_near_miss(text, policy, ticket):
    decision = decide(ticket(text, "x"), policy)
    assert (decision.urgency, decision.near_miss) == (NONE, False)


@pytest.mark.parametrize(
    "text, expected", [("time\nsensitive", TS), ("time -\nsensitive", TS), ("time\nsenstive", NONE)]
)
def test_a_single_line_break_still_joins(text, expected, policy, ticket):
    decision = decide(ticket(text, "x"), policy)
    assert decision.urgency == expected
    assert decision.near_miss == (expected == NONE)


def test_html_paragraphs_are_blank_lines(policy, ticket):
    assert level("<p>time</p><p>sensitive</p>", policy, ticket, body_is_html=True) == NONE
    assert level("time<br>sensitive", policy, ticket, body_is_html=True) == TS


# --- Reply headers in other languages


@pytest.mark.parametrize(
    "header",
    [
        "Le lun. 30 nov. 2026 à 10:00, Support <support@example.com> a écrit :",
        "Le 30 novembre 2026 à 10:00, Support a écrit\u202f:",
        "Le 30/11/2026 à 10:00, Support <support@example.com> a écrit:",
        "Am Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Support <support@example.com>:",
        "Am 30.11.2026 um 10:00 schrieb Support:",
        "El lun, 30 nov 2026 a las 10:00, Support (<support@example.com>) escribió:",
        "Em seg., 30 de nov. de 2026 às 10:00, Support <support@example.com> escreveu:",
        "Op ma 30 nov. 2026 om 10:00 schreef Support <support@example.com>:",
        "Il giorno lun 30 nov 2026 alle ore 10:00 Support <support@example.com> ha scritto:",
        "Il 30/11/2026 10:00, Support ha scritto:",
        "Am Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Support <\nsupport@example.com>:",  # wrapped
    ],
)
def test_reply_headers_in_six_languages_start_quoted_text(header, policy, ticket):
    body = f"Merci, c'est réglé.\n\n{header}\nC'est urgent, l'API est down."
    decision = decide(ticket(body, event="comment"), policy)
    assert decision.urgency == NONE and decision.category == "other"
    assert remove_quoted(body, policy.quotes) == "Merci, c'est réglé."


@pytest.mark.parametrize(
    "line",
    [
        "Le ticket est urgent",
        "Am Montag war es urgent",
        "Am 30.11. ist es urgent: bitte schnell",  # ends in ":" but has no "schrieb"
        "El equipo dice: urgent",
        "Em resumo: urgent",
        "Op maandag: urgent",
        "Il faut: urgent",
    ],
)
def test_lines_that_only_start_like_a_header_are_prose(line, policy, ticket):
    assert decide(ticket(line, event="comment"), policy).urgency == URGENT


# --- Forwarded messages are not quotes


def test_gmail_forwarded_message_counts(policy, ticket):
    body = (
        "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Monitoring <alerts@example.com>\n"
        "Date: Mon, Nov 30, 2026 at 9:00 AM\nSubject: API errors\nTo: Ops <ops@example.com>\n\n"
        "URGENT: the API is down since 8:55 ET."
    )
    decision = decide(ticket(body, event="comment"), policy)
    assert (decision.urgency, decision.category) == (URGENT, "incident")
    assert 'found "URGENT" in the body' in decision.explanation


def test_apple_mail_forward_with_quoted_lines_counts(policy, ticket):
    body = (
        "Please look at this.\n\nBegin forwarded message:\n\n> From: Risk team <risk@example.com>\n"
        "> Subject: fraud spike\n> Date: 30 November 2026 at 09:00:00 EST\n>\n"
        "> This is urgent: a fraud attack on signups."
    )
    decision = decide(ticket(body, event="comment"), policy)
    assert (decision.urgency, decision.category) == (URGENT, "fraud_attack")


def test_apple_mail_html_forward_blockquote_counts(policy, ticket):
    body = (
        "<div>See below</div><div>Begin forwarded message:</div><br>"
        '<blockquote type="cite"><div><b>From: </b>Risk</div><div><b>Date: </b>Mon</div>'
        "<div>Urgent: fraud attack on signups</div></blockquote>"
    )
    decision = decide(ticket(body, event="comment", body_is_html=True), policy)
    assert (decision.urgency, decision.category) == (URGENT, "fraud_attack")
    assert html_to_text("<div>hi</div><blockquote>urgent</blockquote>", policy.quotes.forwarded_markers) == "hi"


@pytest.mark.parametrize(
    "body",
    [
        # without a forward marker, the From:/Sent: block is a quoted reply
        "Thanks\n\nFrom: Support <s@example.com>\nSent: Monday\nSubject: urgent\n\nurgent outage",
        # a reply header inside the forwarded message still starts the old thread
        "fyi\n\n---------- Forwarded message ---------\nFrom: Bob\nDate: Mon\n\nthanks, fixed\n\n"
        "On Mon, Nov 30, 2026 at 9:00 AM Ops <ops@example.com> wrote:\n> urgent, outage",
        # '>' lines below the forwarded message's own text are its quoted history
        "fyi\n\n---------- Forwarded message ---------\nFrom: Bob\nDate: Mon\n\nthanks\n\n> urgent outage",
        # a forward that sits inside the quoted thread is old thread too
        "ok\n\nOn Mon, Nov 30, 2026 at 9:00 AM Ops <ops@example.com> wrote:\n"
        "---------- Forwarded message ---------\nurgent outage",
    ],
)
def test_what_stays_quoted_around_a_forward(body, policy, ticket):
    assert decide(ticket(body, event="comment"), policy).urgency == NONE


# --- Category keywords in other senses


@pytest.mark.parametrize(
    "text",
    [
        "Please write down the steps",
        "I wrote down the error",
        "It is written down somewhere",
        "Let me note down the ids",
        "Can you narrow down the cause?",
        "Scroll down to the form",
        "The drop-down is empty",
        "The drop down list",
        "The dropdown shows nothing",
        "The down payment page",
        "Markdown rendering",
        "A countdown widget",
        "My colleague had a heart attack",
        "I had a panic attack reading this",
        "Two heart attacks this year",
    ],
)
def test_keywords_in_other_senses_do_not_count(text, policy, ticket):
    assert decide(ticket(text, "URGENT"), policy).category == "other"


@pytest.mark.parametrize(
    "text, category",
    [
        ("The API is down", "incident"),
        ("Write down this: the dashboard is down", "incident"),
        ("down since 9am", "incident"),
        ("We are under attack", "fraud_attack"),
        ("a heart attack? no, a bot attack", "fraud_attack"),
        ("downtime and a down API", "incident"),
    ],
)
def test_keywords_in_their_own_sense_still_count(text, category, policy, ticket):
    assert decide(ticket(text, "URGENT"), policy).category == category


def test_other_sense_phrases_are_configurable(policy_with, raw_policy, ticket):
    lists = dict(raw_policy["categories"]["not_in_phrases"], down=["shut down"])
    custom = policy_with(categories={"not_in_phrases": lists})
    assert decide(ticket("we shut down the old server", "URGENT"), custom).category == "other"
    assert decide(ticket("please write down the steps", "URGENT"), custom).category == "incident"


# --- Status codes need a context word


@pytest.mark.parametrize(
    "text",
    [
        "failing with 500",
        "we receive a 504",
        "HTTP 503",
        "503 errors on checkout",
        "502 Bad Gateway",
        "504 gateway timeout at the edge",
        "got a 500 back",
        "status 502",
        "the API returned 503",
        "500 Internal Server Error",
        "seeing 504 from the vendor",
        "500 response codes",
        "it throws 500",
    ],
)
def test_status_codes_with_a_context_word_are_incidents(text, policy, ticket):
    assert decide(ticket(text, "URGENT"), policy).category == "incident"


@pytest.mark.parametrize(
    "text",
    [
        "please re-run the 500 applications",
        "we paid $504.00",
        "we paid $504",
        "about 500 users signed up",
        "we have 502 tickets open",
        "HTTP is fine. 503 users signed up",  # the context word is in another sentence
        "we get many new users every day, 500 of them",  # more than three words away
        "500.00 EUR",
    ],
)
def test_status_codes_without_context_are_not_incidents(text, policy, ticket):
    assert decide(ticket(text, "URGENT"), policy).category == "other"


def test_status_code_context_is_configurable(policy_with, raw_policy, ticket):
    codes = dict(raw_policy["categories"]["status_codes"], context=["kaboom"], window=1)
    custom = policy_with(categories={"status_codes": codes})
    assert decide(ticket("kaboom 500", "URGENT"), custom).category == "incident"
    assert decide(ticket("HTTP 500", "URGENT"), custom).category == "other"
    assert decide(ticket("kaboom big 500", "URGENT"), custom).category == "other"  # window 1


def test_status_code_evidence_quotes_the_number(policy, ticket):
    decision = decide(ticket("we receive a 504 on /v1", "URGENT"), policy)
    evidence = next(e for e in decision.evidence if e.kind == "category")
    assert (evidence.text, evidence.context) == ("504", "we receive a 504 on /v1")


# --- Texts taken from configuration


NIGHT = "2026-11-28T07:30:00Z"  # Saturday 02:30 ET


def enabled_reply(policy_with, raw_policy, **hours):
    reply = dict(raw_policy["after_hours"]["public_reply"], enabled=True)
    return policy_with(after_hours={"public_reply": reply}, **({"hours": hours} if hours else {}))


def test_after_hours_reply_states_the_configured_hours(policy_with, raw_policy, ticket):
    policy = enabled_reply(policy_with, raw_policy)
    reply = decide(ticket("locked out", "Urgent", at=NIGHT), policy).public_reply
    assert "(Monday to Friday, 8 am to 8 pm New York time)" in reply
    assert "{" not in reply


def test_changing_the_hours_changes_the_reply(policy_with, raw_policy, ticket):
    policy = enabled_reply(
        policy_with,
        raw_policy,
        days=["mon", "wed", "fri"],
        open="09:30",
        close="17:00",
        time_zone="Europe/London",
    )
    reply = decide(ticket("locked out", "Urgent", at=NIGHT), policy).public_reply
    assert "(Monday, Wednesday and Friday, 9:30 am to 5 pm London time)" in reply


def test_no_configured_text_repeats_the_hours_by_hand(raw_policy):
    texts = [raw_policy["after_hours"]["public_reply"]["text"], raw_policy["intake"]["info_request"]["text"]]
    for text in texts:
        for literal in ("8 am", "8 pm", "Eastern", "Monday to Friday", "EST", "New York"):
            assert literal not in text


def test_a_bad_placeholder_fails_at_load(policy_with, raw_policy):
    from app.policy import PolicyError

    reply = dict(raw_policy["after_hours"]["public_reply"], text="Open {busines_hours}")
    with pytest.raises(PolicyError, match=r"\[after_hours.public_reply.text\] may use only \{business_hours\}"):
        policy_with(after_hours={"public_reply": reply})


def test_the_note_states_the_zone_and_due_time_from_the_calendar(policy_with, ticket):
    london = policy_with(hours={"time_zone": "Europe/London"})
    note = decide(ticket("x", "Time sensitive", at="2026-11-30T23:00:00Z"), london).explanation
    assert "(Mon 23:00 GMT), after hours" in note
    assert "First response due 2026-12-01T12:00:00Z (Tue 2026-12-01 12:00 GMT)" in note


def test_read_field_words_come_from_the_normalised_text():
    assert read_field("body", "\uff21\uff30\uff29 do\u200bwn").words == {"api", "down"}
