"""The text the policy reads: HTML reduced to plain text, quoted reply text removed.

Both steps are linear in the input: the HTML converter is a flat event handler on the standard
library's HTMLParser (no tree, no recursion), and quote removal is a single pass over lines with
fixed-string checks only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.policy.config import Quotes, ReplyHeader
from app.policy.line_forms import header_form, marker_line

# Tags whose text is never shown to a reader.
_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Tags that start a new line in rendered mail.
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    }
)
_CELL = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base"})
_LISTS = ("ol", "ul")


class _TextCollector(HTMLParser):
    """Collects visible text and link targets.

    <blockquote> content is quoted mail and is not collected, except a blockquote right under a
    forwarded-message marker (Apple Mail wraps the forwarded message in one): POLICY.md section 7
    says a forwarded message counts. List items get their marker ("1. ", "- ") so a numbered
    list reads as one in plain text.
    """

    def __init__(self, forwarded_markers: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.dropped_depth = 0
        self.quotes: list[bool] = []  # one per open <blockquote>: True when it is quoted mail
        self.quoted_depth = 0  # how many of those are True
        self.lists: list[int | None] = []  # one per open <ol> (its next number) or <ul> (None)
        self.forwarded_markers = forwarded_markers
        self.last_words = ""  # the last visible text, to see a forwarded marker before a blockquote

    @property
    def hidden(self) -> bool:
        return bool(self.dropped_depth or self.quoted_depth)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped_depth += 1
        elif tag == "blockquote":
            self._open_blockquote()
        elif tag in _LISTS:
            self.lists.append(1 if tag == "ol" else None)
        elif tag == "a" and not self.hidden:
            href = dict(attrs).get("href") or ""
            if href.lower().startswith(("https://", "http://")):
                self.links.append(href)
        if tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append(" ")
        if tag == "li" and self.lists and not self.hidden:
            self._list_marker()

    def _open_blockquote(self) -> None:
        quoted = marker_line(self.last_words) not in self.forwarded_markers
        self.quotes.append(quoted)
        if quoted:
            self.quoted_depth += 1
            self.parts.append("\n\n")  # the quote's place reads as a paragraph break

    def _list_marker(self) -> None:
        number = self.lists[-1]
        if number is None:
            self.parts.append("- ")
        else:
            self.parts.append(f"{number}. ")
            self.lists[-1] = number + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped_depth = max(0, self.dropped_depth - 1)
        elif tag == "blockquote" and self.quotes:
            self.quoted_depth -= self.quotes.pop()
        elif tag in _LISTS and self.lists:
            self.lists.pop()
        if tag in _BLOCK and tag not in _VOID:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
            if data.strip():
                self.last_words = data[-200:]


def html_to_text(html: str, forwarded_markers: tuple[str, ...] = ()) -> str:
    """Visible text of an HTML body: tags removed, entities decoded, quotes and scripts dropped."""
    return html_to_text_and_links(html, forwarded_markers)[0]


def html_to_text_and_links(html: str, forwarded_markers: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """The visible text, and the http(s) targets of its links (not those inside quoted mail)."""
    collector = _TextCollector(forwarded_markers)
    collector.feed(_escape_unclosed_brackets(html))
    collector.close()
    return _tidy("".join(collector.parts)), tuple(collector.links)


def _escape_unclosed_brackets(html: str) -> str:
    """Escape every '<' that cannot open a tag (another '<' or the end comes before a '>').

    HTMLParser rescans the rest of the input for each such '<' ("<a <a <a ..." is quadratic:
    10,000 of them take seconds); escaped, they are plain text, as a browser would show them.
    Each position is looked at a bounded number of times, so this pass is linear.
    """
    parts: list[str] = []
    position = 0
    next_close = -1
    while True:
        opening = html.find("<", position)
        if opening < 0:
            parts.append(html[position:])
            return "".join(parts)
        if next_close <= opening:
            next_close = html.find(">", opening + 1)
            if next_close < 0:
                next_close = len(html)
        following = html.find("<", opening + 1, next_close)
        if next_close == len(html) or following >= 0:
            parts.append(html[position:opening])
            parts.append("&lt;")
            position = opening + 1
        else:
            parts.append(html[position : next_close + 1])
            position = next_close + 1


def _tidy(text: str) -> str:
    """One space for runs of spaces, at most one blank line in a row, no edge whitespace."""
    lines = []
    blank = False
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            lines.append(line)
            blank = False
        elif not blank:
            lines.append("")
            blank = True
    return "\n".join(lines).strip()


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")


def remove_quoted(text: str, quotes: Quotes) -> str:
    """Remove quoted reply text: '>' lines, and everything from a reply header onward.

    A forwarded message is not a quote (POLICY.md section 7): the header block under its marker
    (From:, Date:, Subject:, To:) is kept and never read as an Outlook reply block, and when the
    forwarded message is itself '>'-quoted (Apple Mail's plain text) those lines are kept too.
    Below the forwarded header the usual rules apply: a reply header inside the forwarded
    message still starts old thread, which is cut, as are '>' lines further down.
    """
    lowered = text.lower()
    if not _may_quote(text, lowered, quotes):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    in_quote = False
    forward = _NOT_FORWARDED
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _has_cut_marker(stripped, quotes):
            break  # also when quoted: everything below the helpdesk's marker is the old thread
        if quotes.forwarded_markers and marker_line(stripped) in quotes.forwarded_markers:
            forward, in_quote = _FORWARD_START, False
            kept.append(line)
            continue
        forward = _forward_state(forward, stripped)
        if forward in (_FORWARD_START, _FORWARD_HEADER, _FORWARD_QUOTED):
            kept.append(line)
            continue
        if stripped.startswith(">"):
            if not in_quote:
                kept.append("")  # a removed quote separates what stands around it
            in_quote = True
            continue
        if _starts_reply_header(lines, index, stripped, quotes):
            break
        in_quote = False
        kept.append(line)
    return "\n".join(kept).strip()


# Where the reading is in a forwarded message: right under its marker, in its header block, in
# its '>'-quoted body (Apple Mail), or past those (then the usual rules apply).
_NOT_FORWARDED, _FORWARD_START, _FORWARD_HEADER, _FORWARD_QUOTED, _FORWARD_BODY = range(5)


def _forward_state(state: int, stripped: str) -> int:
    if state in (_FORWARD_START, _FORWARD_QUOTED) and stripped.startswith(">"):
        return _FORWARD_QUOTED
    if state == _FORWARD_START:
        return _FORWARD_HEADER if stripped else _FORWARD_START
    if state == _FORWARD_HEADER:
        return _FORWARD_HEADER if stripped else _FORWARD_BODY
    if state == _FORWARD_QUOTED:
        return _FORWARD_QUOTED if not stripped else _FORWARD_BODY
    return state


_LINE_ENDS_WITH_COLON = re.compile(r":[^\S\n]*(?:\n|\Z)")


def _may_quote(text: str, lowered: str, quotes: Quotes) -> bool:
    """Cheap check that lets most bodies skip the line-by-line pass."""
    if ">" in lowered or quotes.outlook_from in lowered:
        return True
    if _LINE_ENDS_WITH_COLON.search(text) and any(word in lowered for word in quotes.header_words):
        return True  # every reply header ends its line with a colon ("wrote:", "a écrit :")
    if any(marker.lower() in lowered for marker in quotes.cut_markers):
        return True
    return any(line in lowered for line in quotes.cut_lines)


def _has_cut_marker(stripped: str, quotes: Quotes) -> bool:
    return any(marker in stripped for marker in quotes.cut_markers)


def _header_line(line: str) -> str:
    """A line as a header check reads it: trimmed, lower case, without the *bold* marks that a
    plain-text rendering of Outlook's header gives ("*From:* Jane", "*Sent:* Monday")."""
    return line.strip().lstrip("*").lower()


def _starts_reply_header(lines: list[str], index: int, stripped: str, quotes: Quotes) -> bool:
    lowered = stripped.lower()
    label = _header_line(stripped)
    if lowered in quotes.cut_lines:
        return True
    candidates = [h for h in quotes.reply_headers if lowered.startswith(h.start)]
    if candidates and _is_reply_header(lines, index, candidates, quotes):
        return True
    if label.startswith(quotes.outlook_from):
        return _is_outlook_block(lines, index, quotes)
    return False


def _is_reply_header(lines: list[str], index: int, candidates: list[ReplyHeader], quotes: Quotes) -> bool:
    limit = quotes.reply_header_max_chars
    line = lines[index].strip()
    if len(line) > limit:
        return False
    forms = [header_form(line)]
    # Mail clients wrap a long header: "On Mon, 30 Nov 2026 at 10:00, Bob Smith <\nbob@x.com> wrote:"
    if index + 1 < len(lines):
        following = lines[index + 1].strip()
        if len(line) + len(following) <= limit:
            forms.append(header_form(line + " " + following))
    return any(_matches(header, form) for header in candidates for form in forms)


def _matches(header: ReplyHeader, form: str) -> bool:
    return form.startswith(header.start) and form.endswith(header.end) and header.middle in form[len(header.start) :]


def _is_outlook_block(lines: list[str], index: int, quotes: Quotes) -> bool:
    """'From:' alone is ordinary prose ("From: our side ..."); Outlook follows it with 'Sent:'."""
    for line in lines[index + 1 : index + 1 + quotes.outlook_window]:
        label = _header_line(line)
        if any(label.startswith(follower) for follower in quotes.outlook_followers):
            return True
    return False
