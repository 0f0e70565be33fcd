"""Cleaning of user-supplied text before it is stored: the one function every user text goes through.

`clean` normalises to NFC and trims, then
- refuses control characters anywhere (C0 except tab, newline and carriage return; DEL; C1 except NEL),
  surrogates and non-characters (U+FDD0 to U+FDEF and the last two code points of every plane): PostgreSQL
  cannot store NUL, and none of them is ever meant;
- treats every line or paragraph separator — CR LF, CR, NEL (U+0085), LINE SEPARATOR (U+2028) and
  PARAGRAPH SEPARATOR (U+2029) — as a newline: a multi-line field stores each as "\n", a single-line field
  refuses them (one trailing or leading separator is trimmed like any whitespace).

So a cleaned text splits into the same lines with `str.splitlines()` as with `split("\n")`: vertical tab, form
feed and U+001C to U+001E, on which `splitlines()` also splits, are controls and refused.
"""

from __future__ import annotations

import re
import unicodedata

from audit_app.errors import ValidationFailed

#: Non-characters: U+FDD0 to U+FDEF and U+xFFFE, U+xFFFF in each of the 17 planes.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
#: Refused anywhere: C0 controls except tab, LF and CR; DEL; C1 controls except NEL.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
#: Refused anywhere: code points that are not text (lone surrogates, non-characters).
NOT_TEXT = re.compile(f"[\ud800-\udfff{_NONCHARACTERS}]")
#: Line and paragraph separators, each read as one newline (CR LF is one).
SEPARATORS = re.compile("\r\n|[\r\x85\u2028\u2029]")
#: Bidirectional formatting controls (LRM, RLM, ALM, the embeddings and overrides U+202A to U+202E, the
#: isolates U+2066 to U+2069): they make a text read differently from what it is. Names refuse them (evidence
#: file names).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def code_points(chars: str) -> str:
    """The distinct characters of `chars` in order, written "U+202E, U+FFFE" for a message."""
    return ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(chars))


def clean(value: str | None, *, field: str, max_length: int, required: bool = False, multiline: bool = False) -> str:
    """Normalise user text; refuse control characters, line breaks in a single line, over-long or missing values."""
    text = unicodedata.normalize("NFC", value or "")
    if CONTROLS.search(text):
        raise ValidationFailed(
            f"{field} contains control characters.",
            {field: ["Remove the control characters (often pasted from a PDF or terminal)."]},
        )
    if found := NOT_TEXT.findall(text):
        raise ValidationFailed(
            f"{field} contains characters that are not text.",
            {field: [f"Remove the characters that are not text ({code_points(''.join(found))})."]},
        )
    text = SEPARATORS.sub("\n", text).strip()
    if not multiline and "\n" in text:
        raise ValidationFailed(f"{field} must be a single line.", {field: ["Use a single line."]})
    if required and not text:
        raise ValidationFailed(f"{field} is required.", {field: ["This field is required."]})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{field} is too long.", {field: [f"Use at most {max_length} characters (got {len(text)})."]}
        )
    return text
