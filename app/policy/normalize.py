"""Look-alike and invisible characters (POLICY.md section 7): the text matching reads.

Matching runs on NFKC-normalised text without zero-width characters and soft hyphens, so
`ur<U+200B>gent` and full-width `URGENT` (U+FF35 ...) read as `urgent`; the note quotes the original.
`Normalised.span()` maps an offset range of the normalised text back to the original.

NFKC is applied to each run of non-ASCII characters (ASCII is already NFKC), so a combining
accent after an ASCII letter is left decomposed; nothing the policy matches has accents. The map
is a short list of segments (one per changed run), built only when the text changed, so plain
ASCII text, the common case, costs one `isascii()` call.

Most changed texts normalise character by character (full-width letters, ligatures, invisible
characters, curly quotes): `_char_by_char` does those with one `str.translate`, and the map needs
a segment only where an invisible character is dropped or a character becomes several. A text in
which some characters compose with each other (a decomposed accent after a non-ASCII letter,
Hangul jamo) takes the general path, `_run_by_run`.
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
# What NFKC is applied to: a run of non-ASCII characters up to an invisible one.
_PIECE = re.compile(f"[^\\x00-\\x7f{INVISIBLE}]+")
_PIECE_OR_INVISIBLE = re.compile(f"[{INVISIBLE}]+|[^\\x00-\\x7f{INVISIBLE}]+")


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
    return _char_by_char(text) or _run_by_run(text)


def _char_by_char(text: str) -> Normalised | None:
    """`_run_by_run`'s result when no piece has characters that compose with each other, else None.

    A piece's NFKC is the NFKC of its characters' forms side by side (normalising what is
    normalised changes nothing), so the forms side by side are the piece's NFKC exactly when
    they are NFKC-normalised already. One check covers every piece when they are joined by NUL,
    which composes with nothing and so keeps them apart.
    """
    pieces = _PIECE.findall(text)
    forms: dict[int, str | None] = {ord(c): _nfkc_char(c) for c in set("".join(pieces))}
    if not unicodedata.is_normalized("NFKC", "\0".join(pieces).translate(forms)):
        return None
    forms.update(dict.fromkeys(map(ord, INVISIBLE)))  # None: removed
    return Normalised(text.translate(forms), text, *_char_by_char_segments(text, forms), identity=False)


Segments = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[bool, ...]]


def _char_by_char_segments(text: str, forms: dict[int, str | None]) -> Segments:
    """`Normalised`'s segments when each character becomes its form: one for one, but for the
    removed ones (a segment ends before them) and the ones whose form is longer (a ligature),
    which each map as one block."""
    longer = "".join(chr(c) for c, form in forms.items() if form is not None and len(form) != 1)
    special = re.compile(f"[{INVISIBLE}]+" + (f"|[{re.escape(longer)}]" if longer else ""))
    # Lists of numbers rather than one of tuples: a text can have a million segments, and as many
    # tuples would keep the garbage collector busy.
    starts: list[int] = []  # in the normalised text
    origins: list[int] = []
    ends: list[int] = []
    linear: list[bool] = []
    length = 0  # of the normalised text so far
    position = 0  # in the original
    for found in special.finditer(text):
        start, end = found.span()
        if start > position:
            starts.append(length)
            origins.append(position)
            ends.append(start)
            linear.append(True)
            length += start - position
        form = forms[ord(text[start])]
        if form:
            starts.append(length)
            origins.append(start)
            ends.append(end)
            linear.append(False)
            length += len(form)
        position = end
    if len(text) > position:
        starts.append(length)
        origins.append(position)
        ends.append(len(text))
        linear.append(True)
    return tuple(starts), tuple(origins), tuple(ends), tuple(linear)


def _run_by_run(text: str) -> Normalised:
    """Each piece (a run of non-ASCII characters up to an invisible one) NFKC'd on its own."""
    builder = _Builder(text)
    position = 0
    for found in _PIECE_OR_INVISIBLE.finditer(text):
        start, end = found.span()
        builder.same(position, start)
        position = end
        if text[start] not in INVISIBLE:  # an invisible run is dropped: no segment
            _normalise_piece(builder, found.group(), start)
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
        if linear and self.linear and self.linear[-1] and self.ends[-1] == start:
            self.ends[-1] = end  # one for one right after one for one: the same segment, longer
        else:
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


# How a piece maps to its NFKC form.
_SAME, _ONE_FOR_ONE, _COMPOSED, _EACH_CHARACTER = range(4)
CACHED_PIECE_CHARS = 32  # shorter pieces (words, symbols) repeat; their mapping is kept


def _normalise_piece(builder: _Builder, piece: str, start: int) -> None:
    whole, mapping = _short_piece_mapping(piece) if len(piece) <= CACHED_PIECE_CHARS else _piece_mapping(piece)
    end = start + len(piece)
    if mapping == _SAME:
        builder.same(start, end)
    elif mapping == _COMPOSED:  # characters composed with each other: one block
        builder.changed(whole, start, end, linear=False)
    elif mapping == _ONE_FOR_ONE:  # full-width letters and the like
        builder.changed(whole, start, end, linear=True)
    else:  # a ligature expands ("ﬁ" -> "fi"): each character is its own block
        for offset, char in enumerate(piece):
            output = _nfkc_char(char)
            builder.changed(output, start + offset, start + offset + 1, linear=len(output) == 1)


def _piece_mapping(piece: str) -> tuple[str, int]:
    """The piece's NFKC form, and how it maps (`_SAME`, `_ONE_FOR_ONE`, ...)."""
    whole = unicodedata.normalize("NFKC", piece)
    if whole == piece:
        return whole, _SAME
    chars = [_nfkc_char(c) for c in piece]
    if "".join(chars) != whole:
        return whole, _COMPOSED
    if all(len(c) == 1 for c in chars):
        return whole, _ONE_FOR_ONE
    return whole, _EACH_CHARACTER


_short_piece_mapping = lru_cache(maxsize=4096)(_piece_mapping)


@lru_cache(maxsize=4096)
def _nfkc_char(char: str) -> str:
    return unicodedata.normalize("NFKC", char)
