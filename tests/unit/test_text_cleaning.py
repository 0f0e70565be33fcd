"""`text.clean`: the one cleaning function every user text goes through (separators, controls, NUL, non-text)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audit_app.errors import ValidationFailed
from audit_app.services.text import clean

#: Every character `str.splitlines()` splits on.
SEPARATORS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
#: Separators a multi-line field keeps as "\n" (the others are control characters and refused).
NEWLINES = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029"]
CONTROLS = [
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0x85), *range(0x86, 0xA0)]
]
NOT_TEXT = ["\ud800", "\udfff", "\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]
#: Characters the property test mixes into generated text, so that every one of them is tried.
SPECIAL = sorted({*SEPARATORS, *CONTROLS, *NOT_TEXT, "\t", " ", "\u00a0", "\u202e", "e", "\u0301"})

UNICODE = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL)),
    max_size=40,
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


@settings(max_examples=400, deadline=None)
@given(value=UNICODE, multiline=st.booleans(), required=st.booleans())
@example(value="a\u2028b", multiline=False, required=False)
@example(value="a\x85b\u2029c", multiline=True, required=False)
@example(value="x\x00", multiline=True, required=False)
def test_clean_returns_normalised_text_or_refuses_with_a_message(value: str, multiline: bool, required: bool) -> None:
    refusal: ValidationFailed | None = None
    try:
        result = clean(value, field="notes", max_length=30, required=required, multiline=multiline)
    except ValidationFailed as exc:
        refusal = exc
    if refusal is not None:  # refused with a message for the person and one next to the field
        assert str(refusal).startswith("notes ")
        assert list(refusal.errors) == ["notes"]
        assert all(refusal.errors["notes"])
        return
    assert not any(c in result for c in CONTROLS + NOT_TEXT), repr(result)
    assert not any(c in result for c in ("\r", "\x85", "\u2028", "\u2029")), repr(result)
    assert multiline or "\n" not in result
    assert result == unicodedata.normalize("NFC", result) == result.strip()
    assert len(result) <= 30
    assert not required or result
    # What was stored reads back line for line, whichever way it is split.
    assert result.splitlines() == (lines_of(result) if result else [])
    # Nothing but whitespace and separators was taken away.
    kept = unicodedata.normalize("NFC", value)
    assert "".join(result.split()) == "".join(kept.split())


@given(value=UNICODE, bad=st.sampled_from(CONTROLS + NOT_TEXT), multiline=st.booleans())
def test_a_control_character_or_non_text_anywhere_is_refused(value: str, bad: str, multiline: bool) -> None:
    for text in (bad + value, value + bad, value[: len(value) // 2] + bad + value[len(value) // 2 :]):
        with pytest.raises(ValidationFailed) as refused:
            clean(text, field="reason", max_length=10_000, multiline=multiline)
        assert refused.value.errors["reason"][0].startswith("Remove the ")


@pytest.mark.parametrize("separator", NEWLINES)
def test_a_multi_line_field_keeps_every_line_separator_as_a_newline(separator: str) -> None:
    assert clean(f"first{separator}second", field="notes", max_length=100, multiline=True) == "first\nsecond"


@pytest.mark.parametrize("separator", [*SEPARATORS, "\r\n"])
def test_a_single_line_field_refuses_every_line_or_paragraph_separator(separator: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean(f"first{separator}second", field="title", max_length=100)
    assert refused.value.errors["title"] in (
        ["Use a single line."],
        ["Remove the control characters (often pasted from a PDF or terminal)."],
    )


@pytest.mark.parametrize("control", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_separators_that_are_controls_are_refused_in_multi_line_fields_too(control: str) -> None:
    with pytest.raises(ValidationFailed, match="control characters"):
        clean(f"first{control}second", field="notes", max_length=100, multiline=True)


def test_a_trailing_separator_is_trimmed_like_any_whitespace() -> None:
    assert clean("  Title\u2028", field="title", max_length=100) == "Title"


@pytest.mark.parametrize("value", ["\ufffe", "a\ud800b", "\U0010ffff", "x\ufdd0"])
def test_non_text_is_refused_naming_the_code_point(value: str) -> None:
    with pytest.raises(ValidationFailed, match="not text") as refused:
        clean(value, field="source", max_length=100)
    bad = next(c for c in value if c in NOT_TEXT)
    assert f"U+{ord(bad):04X}" in refused.value.errors["source"][0]


def test_nul_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="control characters"):
        clean("before\x00after", field="notes", max_length=100, multiline=True)
