"""How a line of quoted mail is compared: the forms the policy file's `[quotes]` values are stored
in (app/policy/config.py) and the text reader compares lines in (app/policy/text.py)."""

from __future__ import annotations

import unicodedata


def header_form(line: str) -> str:
    """A reply header as it is compared: NFKC (a French narrow no-break space before the colon
    becomes a space), lower case, one space between words, no space before a colon."""
    text = " ".join(unicodedata.normalize("NFKC", line).lower().split())
    return text.replace(" :", ":")


def marker_line(line: str) -> str:
    """A line as a forwarded-marker check reads it: no edge dashes, stars or spaces, lower case."""
    return line.strip().strip("-*_ \t").lower()
