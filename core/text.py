"""Free text a caller names something with: one Unicode form, nothing invisible.

Text is compared byte for byte wherever it is stored, so the same name must always
arrive in the same form (NFC); characters that do not print, or that reorder what
is printed around them, would let two names that look alike differ, or hide a part.
"""

import unicodedata

from core.errors import InvalidInput

# Controls, format characters (zero-width, bidirectional overrides), surrogates,
# private use, line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Zero-width non-joiner and joiner shape the letters around them in Arabic-script
# (Persian, Urdu...) and Indic names; as IDNA does, they are kept only there: after
# a virama, or between two Arabic-script letters. Between Latin letters they would
# only hide a difference.
JOINERS = frozenset({"\u200c", "\u200d"})
VIRAMA = 9  # canonical combining class
ARABIC_LETTER = "AL"  # bidirectional class


def refused_character(text: str) -> tuple[int, str] | None:
    """The position and character of the first character of a refused category, if any."""
    for position, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES and not _joins_letters(text, position):
            return position, char
    return None


def _joins_letters(text: str, position: int) -> bool:
    if text[position] not in JOINERS or not 0 < position < len(text) - 1:
        return False
    before, after = text[position - 1], text[position + 1]
    if unicodedata.combining(before) == VIRAMA:
        return True
    return all(unicodedata.bidirectional(char) == ARABIC_LETTER for char in (before, after))


def checked_text(field: str, raw: str, max_length: int) -> str:
    """`raw` in NFC; InvalidInput, naming `field`, when that holds a refused character,
    is blank, or is longer than `max_length` code points."""
    text = unicodedata.normalize("NFC", raw)
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    refused = refused_character(text)
    if refused is not None:
        position, char = refused
        raise InvalidInput(
            f"{field} must not contain control, format or separator characters; "
            f"found U+{ord(char):04X} ({unicodedata.category(char)}) at position {position}",
            field=field,
        )
    if not text.strip():
        raise InvalidInput(f"{field} must not be empty or only whitespace", field=field)
    return text
