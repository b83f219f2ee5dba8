"""POLICY.md section 1, 'Where the service looks': HTML to text and quoted reply removal."""

from __future__ import annotations

import time

import pytest

from app.policy.text import html_to_text, remove_quoted


def test_html_tags_removed_and_entities_decoded():
    assert html_to_text("<p>Hi &amp; <b>URGENT</b>&nbsp;now &#8211; ok</p>") == "Hi & URGENT now \u2013 ok"


def test_html_block_tags_give_line_breaks():
    assert html_to_text("one<br>two<p>three</p><div>four</div><li>five</li>") == "one\ntwo\nthree\n\nfour\n\nfive"


def test_html_table_cells_stay_separate_words():
    assert html_to_text("<table><tr><td>urgent</td><td>now</td></tr></table>") == "urgent now"


def test_html_script_style_and_head_dropped():
    html = "<html><head><title>urgent</title><style>.urgent{}</style></head><body>hello<script>urgent()</script></body></html>"
    assert html_to_text(html) == "hello"


def test_html_blockquote_content_is_quoted_and_removed():
    html = "<div>New reply</div><blockquote>This is urgent <blockquote>older</blockquote> still quoted</blockquote><div>after</div>"
    assert html_to_text(html) == "New reply\n\nafter"


def test_html_stray_brackets_are_text():
    assert html_to_text("a < b and 3<4 <b>ok</b>") == "a < b and 3<4 ok"


def test_quote_lines_removed_but_interleaved_reply_kept(policy):
    text = "> can you confirm?\nYes, this is urgent.\n> anything else?\nNo."
    assert remove_quoted(text, policy.quotes) == "Yes, this is urgent.\n\nNo."


def test_quote_lines_with_leading_spaces_removed(policy):
    assert remove_quoted("reply\n   > quoted urgent", policy.quotes) == "reply"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Nov 30, 2026 at 10:00 AM, Bob Smith <bob@example.com> wrote:",
        "On 30 Nov 2026, at 10:00, Bob <bob@example.com> wrote:",
        "On Monday, Support wrote:",
        "On Mon, Nov 30, 2026 at 10:00 AM Bob Smith <\nbob@example.com> wrote:",  # wrapped
        "On Mon, Nov 30, 2026 at 10:00 AM, Bob Smith\n<bob@example.com> wrote:",  # wrapped
    ],
)
def test_everything_after_on_date_wrote_is_removed(header, policy):
    text = f"Thanks, fixed now.\n\n{header}\nThis is urgent, please help\n> more"
    assert remove_quoted(text, policy.quotes) == "Thanks, fixed now."


def test_on_line_without_wrote_is_kept(policy):
    text = "On Monday the API went down.\nIt is urgent."
    assert remove_quoted(text, policy.quotes) == text


def test_original_message_cuts_the_rest(policy):
    text = "See below.\n\n-----Original Message-----\nFrom: x\nurgent"
    assert remove_quoted(text, policy.quotes) == "See below."


def test_outlook_from_sent_block_cuts_the_rest(policy):
    text = "Fix please\n\nFrom: Support <support@example.com>\nSent: Monday, November 30, 2026 10:00 AM\nTo: me\nSubject: RE: urgent\n\nold urgent text"
    assert remove_quoted(text, policy.quotes) == "Fix please"


def test_outlook_separator_line_cuts_the_rest(policy):
    text = "Fix please\n________________________________\nFrom: x\nSent: y\nurgent"
    assert remove_quoted(text, policy.quotes) == "Fix please"


def test_from_in_prose_is_not_a_header(policy):
    text = "Hi team,\nFrom: our side the API is down. URGENT\nThanks"
    assert remove_quoted(text, policy.quotes) == text


def test_zendesk_marker_keeps_only_the_reply_above_it(policy):
    text = "Still broken, urgent!\n\n##- Please type your reply above this line -##\n\nYour request (123) has been updated. not urgent"
    assert remove_quoted(text, policy.quotes) == "Still broken, urgent!"


def test_quoted_zendesk_marker_also_cuts(policy):
    text = "My answer\n> ##- Please type your reply above this line -##\nold stuff urgent"
    assert remove_quoted(text, policy.quotes) == "My answer"


def test_text_without_quote_signs_is_untouched(policy):
    text = "Plain text\nwith lines"
    assert remove_quoted(text, policy.quotes) is text


def test_10000_nested_divs_are_fast_and_do_not_recurse():
    html = "<div>" * 10_000 + "urgent" + "</div>" * 10_000
    started = time.perf_counter()
    assert html_to_text(html) == "urgent"
    assert time.perf_counter() - started < 1


def test_10000_quote_lines_are_fast(policy):
    text = "reply\n" + "> urgent quoted\n" * 10_000
    started = time.perf_counter()
    assert remove_quoted(text, policy.quotes) == "reply"
    assert time.perf_counter() - started < 1


def test_unclosed_tags_are_linear():
    started = time.perf_counter()
    html_to_text("<a " * 30_000)
    assert time.perf_counter() - started < 1
