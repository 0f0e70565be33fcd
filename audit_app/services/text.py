"""Cleaning of user-supplied text before it is stored."""

from __future__ import annotations

import re
import unicodedata

from audit_app.errors import ValidationFailed

#: C0 controls except tab, newline and carriage return; DEL; C1 controls; non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(value: str | None, *, field: str, max_length: int, required: bool = False, multiline: bool = False) -> str:
    """Normalise user text; refuse control characters, over-long or missing values."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if _FORBIDDEN.search(text) or _SURROGATE.search(text):
        raise ValidationFailed(
            f"{field} contains control characters.",
            {field: ["Remove the control characters (often pasted from a PDF or terminal)."]},
        )
    if not multiline and ("\n" in text or "\r" in text):
        raise ValidationFailed(f"{field} must be a single line.", {field: ["Use a single line."]})
    if required and not text:
        raise ValidationFailed(f"{field} is required.", {field: ["This field is required."]})
    if len(text) > max_length:
        raise ValidationFailed(
            f"{field} is too long.", {field: [f"Use at most {max_length} characters (got {len(text)})."]}
        )
    return text.replace("\r\n", "\n")
