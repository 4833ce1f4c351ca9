"""Term categories for the blocklist: loading, validating and editing the term files.

A term file is plain text, one term per line, ``#`` starting a comment line. Its header
(comment lines before the first term) names the rule of the category; the file stem is its
name::

    # rule: entity        (entity | two_stage | instant | cue)
    # mode: replace       (optional, for override files: replace | add | remove)

``instant`` categories flag a document on one match. ``two_stage`` categories flag only
when an ``entity`` term (an intelligent entity such as "ai" or "robot") co-occurs. ``cue``
categories never flag: they mark a document for a cascade's model stages to look at
(software and agent vocabulary such as "the model", "logs", "weights").
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from alignment_data.errors import InputError
from alignment_data.tagging.normalize import normalize_term

RULES = ("entity", "two_stage", "instant", "cue")
MAX_TERM_WORDS = 8
MODES = ("replace", "add", "remove")


@dataclass(frozen=True)
class TermCategory:
    """A named list of terms and the rule that makes them flag a document."""

    name: str
    rule: str
    terms: tuple[str, ...]
    source: str = "<memory>"
    mode: str = "replace"

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise InputError(f"unknown rule {self.rule!r}; expected one of {', '.join(RULES)}", self.source, field="rule")
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}", self.source, field="mode")

    def with_terms(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> TermCategory:
        """A copy with ``add`` appended and ``remove`` taken out (compared after normalisation)."""
        removed = {normalize_term(term) for term in remove}
        kept = [term for term in self.terms if normalize_term(term) not in removed]
        known = {normalize_term(term) for term in kept}
        for term in add:
            if normalize_term(term) not in known:
                kept.append(term)
                known.add(normalize_term(term))
        return replace(self, terms=tuple(kept))


def read_term_file(path: str | os.PathLike, text: str | None = None) -> TermCategory:
    """Parse one term file; every problem raises an :class:`InputError` naming file and line."""
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"not valid UTF-8 at byte {error.start}", path) from None
    header: dict[str, tuple[str, int]] = {}
    terms: list[str] = []
    first_line: dict[str, int] = {}
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped[1:].partition(":")
            if sep and key.strip().lower() in ("rule", "mode") and not terms:
                key = key.strip().lower()
                if key in header:
                    raise InputError(f"{key} given twice (first on line {header[key][1]})", path, line_no, key)
                header[key] = (value.strip().lower(), line_no)
            continue
        try:
            key = normalize_term(stripped)
        except InputError as error:
            raise InputError(error.reason, path, line_no, "term") from None
        if len(key.split()) > MAX_TERM_WORDS:
            raise InputError(f"more than {MAX_TERM_WORDS} words: {stripped!r}", path, line_no, "term")
        if key in first_line:
            raise InputError(f"duplicate term {stripped!r} (first on line {first_line[key]})", path, line_no, "term")
        first_line[key] = line_no
        terms.append(stripped)
    if "rule" not in header:
        raise InputError(f"missing '# rule: <{'|'.join(RULES)}>' header", path, field="rule")
    rule, rule_line = header["rule"]
    mode, mode_line = header.get("mode", ("replace", None))
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}", path, rule_line, "rule")
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}", path, mode_line, "mode")
    if not terms and mode != "remove":
        raise InputError("no terms", path, field="term")
    return TermCategory(Path(path).stem, rule, tuple(terms), path, mode)


def read_term_files(path: str | os.PathLike) -> list[TermCategory]:
    """The categories in a term file or in every ``*.txt`` file of a folder, sorted by name."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputError("no *.txt term files", str(path))
    elif path.is_file():
        files = [path]
    else:
        raise InputError("no such term file or folder", str(path))
    return [read_term_file(file) for file in files]


def default_categories() -> list[TermCategory]:
    """The shipped categories: the study's nine flagging categories and the escalation cues (rule ``cue``)."""
    folder = resources.files("alignment_data.tagging").joinpath("terms")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".txt"))
    return [read_term_file(f"alignment_data/tagging/terms/{name}", folder.joinpath(name).read_text("utf-8")) for name in names]


def apply_overrides(base: Iterable[TermCategory], overrides: Iterable[TermCategory]) -> list[TermCategory]:
    """Edit ``base`` with override categories: replace or add a whole category, or add/remove terms."""
    categories = {category.name: category for category in base}
    for override in overrides:
        current = categories.get(override.name)
        if override.mode == "replace":
            categories[override.name] = replace(override, mode="replace")
            continue
        if current is None:
            raise InputError(
                f"mode {override.mode!r} edits category {override.name!r}, which does not exist; "
                f"known: {', '.join(sorted(categories))}",
                override.source,
                field="mode",
            )
        if override.rule != current.rule:
            raise InputError(
                f"rule {override.rule!r} differs from the rule {current.rule!r} of category {override.name!r}",
                override.source,
                field="rule",
            )
        if override.mode == "add":
            categories[override.name] = current.with_terms(add=override.terms)
        else:
            categories[override.name] = current.with_terms(remove=override.terms)
    return [categories[name] for name in sorted(categories)]
