"""The one place user text is made safe for Word before it reaches python-docx.

XML 1.0 cannot hold most C0 control characters, lone surrogates or U+FFFE / U+FFFF; python-docx raises on
them at assignment. Text stored through `services.text.clean` never holds them, but text from older records,
imports and file names may: each such character becomes U+FFFD (the replacement character), so the reader sees
that something was there. Everything else — right-to-left text, emoji, text that looks like markup — is kept
as it is; python-docx escapes it, so `<w:p>` or `{{ x }}` comes out literally.
"""

from __future__ import annotations

import re

#: Characters XML 1.0 cannot carry: C0 controls except tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def word_text(value: object) -> str:
    """`value` as text Word can hold: None is empty, anything else is `str()`-ed and cleaned."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub(REPLACEMENT, text)
