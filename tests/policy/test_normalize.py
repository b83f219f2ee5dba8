"""The normaliser's two paths (POLICY.md section 7): the character-by-character one that most
texts take must give what the general, piece-by-piece one gives, text and offset map alike."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy.normalize import INVISIBLE, _char_by_char, _run_by_run, normalise

# Characters that normalise in every way there is: one for one (full-width, the Angstrom sign),
# into several (ligatures, "①", "½"), not at all (é, CJK), composing with a neighbour (combining
# accents, Hangul jamo, half-width katakana and its voiced mark), or removed (the invisibles).
TRICKY = [
    *"aAzZ0 .:-\n>",
    *"\uff35\uff32\uff27\uff25\uff2e\uff34\uff26\u212b\u00e9\u4e2d\u00df\u0130",
    *"\ufb01\ufb00\ufb03\u2460\u00bd\u00b2\u2026",
    *"\u0301\u0308\u0323\u0344\u0f73",
    *"\u3131\u314f\u1100\u1161\u11a8\uac00",
    *"\uff76\uff9e\u30ab\u3099",
    *INVISIBLE,
]
tricky_texts = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join)


def piece_by_piece(text: str) -> str:
    """The definition: invisibles removed, NFKC applied to each run of other non-ASCII characters."""
    return re.sub(
        f"[{INVISIBLE}]+|[^\\x00-\\x7f{INVISIBLE}]+",
        lambda found: "" if found.group()[0] in INVISIBLE else unicodedata.normalize("NFKC", found.group()),
        text,
    )


@settings(max_examples=600, deadline=None)
@given(text=tricky_texts)
def test_normalised_text_is_each_piece_in_nfkc(text):
    assert normalise(text).text == piece_by_piece(text)
    assert _run_by_run(text).text == piece_by_piece(text)


@settings(max_examples=600, deadline=None)
@given(text=tricky_texts)
def test_the_character_by_character_path_maps_every_span_as_the_general_one(text):
    quick = _char_by_char(text)
    if quick is None:  # some characters compose: only the general path applies
        return
    general = _run_by_run(text)
    assert quick.text == general.text
    for start in range(len(general.text)):  # every span evidence can have (never an empty one)
        for end in range(start + 1, len(general.text) + 1):
            assert quick.span(start, end) == general.span(start, end)


def test_composing_characters_take_the_general_path():
    assert _char_by_char("\u3131\u314f") is None  # Hangul letters that compose into one syllable
    assert _char_by_char("\u0391\u0301") is None  # an accent that composes with the letter before
    assert _char_by_char("a\u0301") is not None  # after an ASCII letter an accent stays as it is


def test_spans_of_removed_and_expanded_characters_point_at_the_original():
    original = "x\u200b\ufb01\uff35\u00ady"
    normalised = normalise(original)
    assert normalised.text == "xfiUy"
    assert normalised.span(1, 3) == (2, 3)  # "fi" came from the ligature alone
    assert normalised.span(3, 5) == (3, 6)  # "Uy" spans the soft hyphen between them
    assert normalised.span(0, 1) == (0, 1)
