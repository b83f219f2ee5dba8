"""The text the policy reads: HTML reduced to plain text, quoted reply text removed.

Both steps are linear in the input: the HTML converter is a flat event handler on the standard
library's HTMLParser (no tree, no recursion), and quote removal is a single pass over lines with
fixed-string checks only.
"""

from __future__ import annotations

from html.parser import HTMLParser

from app.policy.config import Quotes

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


class _TextCollector(HTMLParser):
    """Collects visible text; <blockquote> content is quoted mail and is not collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped_depth = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropped_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.parts.append("\n\n")  # the quote's place reads as a paragraph break
        if tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped_depth = max(0, self.dropped_depth - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        if tag in _BLOCK and tag not in _VOID:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropped_depth and not self.quote_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: tags removed, entities decoded, quotes and scripts dropped."""
    collector = _TextCollector()
    collector.feed(_escape_unclosed_brackets(html))
    collector.close()
    return _tidy("".join(collector.parts))


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
    """Remove quoted reply text: '>' lines, and everything from a reply header onward."""
    lowered = text.lower()
    if not _may_quote(lowered, quotes):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    in_quote = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _has_cut_marker(stripped, quotes):
            break  # also when quoted: everything below the helpdesk's marker is the old thread
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


def _may_quote(lowered: str, quotes: Quotes) -> bool:
    """Cheap check that lets most bodies skip the line-by-line pass."""
    if ">" in lowered or quotes.wrote_header_end in lowered or quotes.outlook_from in lowered:
        return True
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
    if lowered.startswith(quotes.wrote_header_start.lower()):
        return _is_wrote_header(lines, index, lowered, quotes)
    if label.startswith(quotes.outlook_from):
        return _is_outlook_block(lines, index, quotes)
    return False


def _is_wrote_header(lines: list[str], index: int, lowered: str, quotes: Quotes) -> bool:
    limit = quotes.wrote_header_max_chars
    if len(lowered) <= limit and lowered.endswith(quotes.wrote_header_end):
        return True
    # Mail clients wrap a long header: "On Mon, 30 Nov 2026 at 10:00, Bob Smith <\nbob@x.com> wrote:"
    if index + 1 < len(lines):
        following = lines[index + 1].strip().lower()
        together = len(lowered) + len(following)
        return together <= limit and following.endswith(quotes.wrote_header_end)
    return False


def _is_outlook_block(lines: list[str], index: int, quotes: Quotes) -> bool:
    """'From:' alone is ordinary prose ("From: our side ..."); Outlook follows it with 'Sent:'."""
    for line in lines[index + 1 : index + 1 + quotes.outlook_window]:
        label = _header_line(line)
        if any(label.startswith(follower) for follower in quotes.outlook_followers):
            return True
    return False
