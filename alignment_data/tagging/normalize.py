"""One fast normalisation shared by the blocklist and the fastText features.

Text is encoded as UTF-8 and passed through a single byte translation table (C speed):
ASCII letters are lower-cased, digits kept, full stops deleted (so ``A.I.`` reads ``ai``
and ``GPT-3.5`` reads ``gpt 35``), and every other byte becomes a space: whitespace, ASCII
punctuation, and each byte of a non-ASCII character, so curly quotes, dashes, non-breaking
spaces and accented letters separate words. Whole-word matching then reduces to finding
`` term `` with spaces around it.
"""

from __future__ import annotations

from alignment_data.errors import InputError

_DELETED = b"."


def _build_table() -> bytes:
    table = bytearray(b" " * 256)
    for byte in range(128):
        if chr(byte).isalnum():
            table[byte] = ord(chr(byte).lower())
    return bytes(table)


_TABLE = _build_table()


def normalize_bytes(text: str) -> bytes:
    """Lower-cased ASCII words separated by spaces, padded with one space on each side.

    The result has the same word boundaries as the input but is not collapsed: runs of
    separators stay runs of spaces.
    """
    return b" " + text.encode("utf-8", "surrogatepass").translate(_TABLE, _DELETED) + b" "


def normalize(text: str) -> str:
    """:func:`normalize_bytes` as a string (exact: only ASCII remains)."""
    return normalize_bytes(text).decode("ascii")


def normalize_term(term: str) -> str:
    """A term in the form it is searched for: normalised, single-spaced, padded.

    Raises :class:`~alignment_data.errors.InputError` for terms with non-ASCII characters (they would be split into
    fragments) or with no letters or digits at all.
    """
    if not term.isascii():
        raise InputError(f"terms must be ASCII (non-ASCII characters act as word separators): {term!r}", field="term")
    words = normalize(term).split()
    if not words:
        raise InputError(f"term has no letters or digits: {term!r}", field="term")
    return " " + " ".join(words) + " "
