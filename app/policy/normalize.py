"""Look-alike and invisible characters (POLICY.md section 7): the text matching reads.

Matching runs on NFKC-normalised text without zero-width characters and soft hyphens, so
`ur<U+200B>gent` and full-width `URGENT` (U+FF35 ...) read as `urgent`; the note quotes the original.
`Normalised.span()` maps an offset range of the normalised text back to the original.

NFKC is applied to each run of non-ASCII characters (ASCII is already NFKC), so a combining
accent after an ASCII letter is left decomposed; nothing the policy matches has accents. The map
is a short list of segments (one per changed run), built only when the text changed, so plain
ASCII text, the common case, costs one `isascii()` call.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

# Removed before matching: zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE_RUN = re.compile(f"[{INVISIBLE}]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True)
class Normalised:
    """`text` is what matching reads; `original` is what the note quotes.

    Segments: the normalised text from `starts[i]` on came from the original from
    `origins[i]` on; a `linear` segment maps character for character, any other maps as one
    block (a ligature, or a run whose characters composed).
    """

    text: str
    original: str
    starts: tuple[int, ...] = ()
    origins: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()  # end of each segment in the original
    linear: tuple[bool, ...] = ()
    identity: bool = True

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised `text[start:end]`."""
        if self.identity:
            return start, end
        first = self._origin_of(start, at_end=False)
        last = self._origin_of(end - 1, at_end=True) if end > start else first
        return first, max(first, last)

    def _origin_of(self, index: int, at_end: bool) -> int:
        segment = max(0, bisect_right(self.starts, index) - 1)
        if self.linear[segment]:
            position = self.origins[segment] + (index - self.starts[segment])
            return min(position + 1, self.ends[segment]) if at_end else position
        return self.ends[segment] if at_end else self.origins[segment]


def normalise(text: str) -> Normalised:
    if text.isascii():
        return Normalised(text, text)
    if not _INVISIBLE_RUN.search(text) and unicodedata.is_normalized("NFKC", text):
        return Normalised(text, text)
    builder = _Builder(text)
    position = 0
    for run in _NON_ASCII_RUN.finditer(text):
        builder.same(position, run.start())
        _normalise_run(builder, run.start(), run.end())
        position = run.end()
    builder.same(position, len(text))
    return builder.result()


class _Builder:
    def __init__(self, original: str) -> None:
        self.original = original
        self.parts: list[str] = []
        self.length = 0
        self.starts: list[int] = []
        self.origins: list[int] = []
        self.ends: list[int] = []
        self.linear: list[bool] = []

    def same(self, start: int, end: int) -> None:
        if end > start:
            self._add(self.original[start:end], start, end, True)

    def changed(self, output: str, start: int, end: int, linear: bool) -> None:
        if output:
            self._add(output, start, end, linear)

    def _add(self, output: str, start: int, end: int, linear: bool) -> None:
        self.parts.append(output)
        self.starts.append(self.length)
        self.origins.append(start)
        self.ends.append(end)
        self.linear.append(linear)
        self.length += len(output)

    def result(self) -> Normalised:
        return Normalised(
            "".join(self.parts),
            self.original,
            tuple(self.starts),
            tuple(self.origins),
            tuple(self.ends),
            tuple(self.linear),
            identity=False,
        )


def _normalise_run(builder: _Builder, start: int, end: int) -> None:
    """One run of non-ASCII characters: invisibles dropped, each visible piece NFKC'd."""
    text = builder.original
    position = start
    for invisible in _INVISIBLE_RUN.finditer(text, start, end):
        _normalise_piece(builder, position, invisible.start())
        position = invisible.end()
    _normalise_piece(builder, position, end)


def _normalise_piece(builder: _Builder, start: int, end: int) -> None:
    if end <= start:
        return
    piece = builder.original[start:end]
    whole = unicodedata.normalize("NFKC", piece)
    if whole == piece:
        builder.same(start, end)
        return
    chars = [_nfkc_char(c) for c in piece]
    if "".join(chars) != whole:  # characters composed with each other: one block
        builder.changed(whole, start, end, linear=False)
    elif all(len(c) == 1 for c in chars):  # full-width letters and the like: one for one
        builder.changed(whole, start, end, linear=True)
    else:  # a ligature expands ("ﬁ" -> "fi"): each character is its own block
        for offset, output in enumerate(chars):
            builder.changed(output, start + offset, start + offset + 1, linear=len(output) == 1)


@lru_cache(maxsize=4096)
def _nfkc_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char)
