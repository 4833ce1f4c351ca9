"""Source texts for scenario generation: .txt, .md and .jsonl files, cut into passages.

A .txt or .md file is one text; each line of a .jsonl file is one (its ``text`` field, named
by its ``id`` when it has one). Passages are whole paragraphs packed up to ``chunk_words``
words (a longer paragraph is cut at sentence ends, then at words). Files that cannot give a
passage are not dropped silently: empty files, files that are not UTF-8, JSONL lines that
are broken or have no text, and unsupported file types come back as skipped, with reasons.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from alignment_data.errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl",)
SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Passage:
    source: str
    chunk: int
    text: str


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph in pieces of at most ``limit`` words, cut at sentence ends where possible."""
    if len(paragraph.split()) <= limit:
        return [paragraph]
    pieces, current = [], []
    for sentence in SENTENCE.split(paragraph):
        words = sentence.split()
        while len(words) > limit:
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.append(" ".join(words[:limit]))
            words = words[limit:]
        if len(current) + len(words) > limit:
            pieces.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunk_text(text: str, chunk_words: int) -> list[str]:
    """Whole paragraphs packed into passages of at most ``chunk_words`` words."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks, current, size = [], [], 0
    for paragraph in paragraphs:
        for piece in _pieces(paragraph, chunk_words):
            count = len(piece.split())
            if current and size + count > chunk_words:
                chunks.append("\n\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += count
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _texts(path: Path, shown: str) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """``(source name, text)`` pairs of one file, and what was skipped."""
    try:
        raw = path.read_text("utf-8")
    except UnicodeDecodeError as error:
        return [], [Skipped(shown, f"not UTF-8 text ({error.reason} at byte {error.start})")]
    if path.suffix.lower() in TEXT_SUFFIXES:
        return ([(shown, raw)], []) if raw.strip() else ([], [Skipped(shown, "empty file")])
    texts, skipped = [], []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            skipped.append(Skipped(f"{shown}:{number}", f"malformed JSON ({error.msg})"))
            continue
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str) or not text.strip():
            skipped.append(Skipped(f"{shown}:{number}", "no text"))
            continue
        name = str(record.get("id", number))
        texts.append((f"{shown}#{name}", text))
    if not texts and not skipped:
        skipped.append(Skipped(shown, "empty file"))
    return texts, skipped


def read_passages(path: str | Path, chunk_words: int) -> tuple[list[Passage], list[Skipped]]:
    """Every passage of the source files at ``path`` (a file or a folder, searched recursively)."""
    root = Path(path)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file())
    else:
        raise InputError("no such file or folder", str(path))
    passages, skipped = [], []
    for file in files:
        shown = str(file)
        if file.suffix.lower() not in TEXT_SUFFIXES + JSONL_SUFFIXES:
            skipped.append(Skipped(shown, f"not a source text (expected {', '.join(TEXT_SUFFIXES + JSONL_SUFFIXES)})"))
            continue
        texts, bad = _texts(file, shown)
        skipped.extend(bad)
        for source, text in texts:
            passages.extend(Passage(source, number, chunk) for number, chunk in enumerate(chunk_text(text, chunk_words)))
    if not passages:
        reasons = "; ".join(f"{item.source}: {item.reason}" for item in skipped[:5]) or "no files"
        raise InputError(f"no source text to make scenarios from ({reasons})", str(path))
    return passages, skipped
