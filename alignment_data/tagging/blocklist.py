"""The blocklist tagger: the study's instant and two-stage rules in one Aho-Corasick pass.

All terms of all categories go into one automaton (a DFA built by ``ahocorasick-rs``) over
normalised bytes (see :mod:`alignment_data.tagging.normalize`), so the cost per document
does not grow with the number of terms. A term between spaces matches whole words only: "ai" does not fire inside
"said" or "Thailand". Words of a multi-word term may be separated by one or two
separator characters (a space, a line break, a comma and a space, a non-breaking space,
"\r\n").
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import Tag
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.fields import terms_field
from alignment_data.tagging.normalize import normalize_bytes, normalize_term
from alignment_data.tagging.termlists import TermCategory, apply_overrides, default_categories, read_term_files

MAX_GAP = 2  # separator characters allowed between the words of a multi-word term


def _spellings(key: str) -> Iterable[str]:
    """Every spacing of a normalised term that the matcher accepts."""
    words = key.split()
    if len(words) == 1:
        yield key
        return
    for gaps in itertools.product(range(1, MAX_GAP + 1), repeat=len(words) - 1):
        yield " " + "".join(word + " " * gap for word, gap in zip(words, gaps)) + words[-1] + " "


@dataclass(frozen=True)
class BlocklistOptions:
    terms: tuple[str, ...] = terms_field()


@register_tagger("blocklist", BlocklistOptions)
class BlocklistTagger(Tagger):
    """Flags documents by term categories: any ``instant`` term, or an ``entity`` term with a ``two_stage`` term.

    ``tag(text)`` returns a :class:`~alignment_data.schema.Tag` with ``flagged``, the
    ``categories`` whose rule fired (also the ``reasons`` of a flag) and the matched
    ``terms`` of the flagging categories; ``label`` stays ``None`` because keywords cannot
    tell aligned from misaligned discourse. ``cue`` categories only matter to :meth:`scan`,
    for cascades.
    """

    policies = ("blocklist",)

    def __init__(self, categories: Iterable[TermCategory] | None = None):
        self.categories = list(default_categories() if categories is None else categories)
        names = [category.name for category in self.categories]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise InputError(f"category defined twice: {', '.join(sorted(duplicates))}", field="category")
        if any(c.rule == "two_stage" for c in self.categories) and not any(c.rule == "entity" for c in self.categories):
            raise InputError("two_stage categories need at least one entity category", field="rule")
        patterns: list[bytes] = []
        self._pattern_owner: list[tuple[int, str]] = []  # pattern -> (category index, term)
        owner: dict[str, TermCategory] = {}
        for index, category in enumerate(self.categories):
            for term in category.terms:
                key = normalize_term(term)
                if key in owner:
                    raise InputError(
                        f"term {term!r} is in both {owner[key].name} ({owner[key].source}) and {category.name}",
                        category.source,
                        field="term",
                    )
                owner[key] = category
                for spelling in _spellings(key):
                    patterns.append(spelling.encode("ascii"))
                    self._pattern_owner.append((index, term))
        self._matcher = (
            ahocorasick_rs.BytesAhoCorasick(patterns, implementation=ahocorasick_rs.Implementation.DFA) if patterns else None
        )
        self._names = [category.name for category in self.categories]
        self._rules = [category.rule for category in self.categories]

    @classmethod
    def from_options(cls, options: BlocklistOptions) -> BlocklistTagger:
        return cls.from_terms(*options.terms) if options.terms else cls()

    @classmethod
    def from_terms(cls, *paths: str | os.PathLike, base: str | None = "default") -> BlocklistTagger:
        """Build from term files or folders, applied as overrides on the default lists.

        With ``base=None`` the files alone define the categories.
        """
        overrides = [category for path in paths for category in read_term_files(path)]
        if base is None:
            return cls(overrides)
        if base != "default":
            raise ConfigError("base must be 'default' or None")
        return cls(apply_overrides(default_categories(), overrides))

    @property
    def term_count(self) -> int:
        return sum(len(category.terms) for category in self.categories)

    def _found(self, text: str) -> dict[int, dict[str, None]]:
        """Matched terms by category index, each term once, in order of first appearance."""
        if self._matcher is None:
            return {}
        matches = self._matcher.find_matches_as_indexes(normalize_bytes(text), overlapping=True)
        found: dict[int, dict[str, None]] = {}
        owners = self._pattern_owner
        for pattern in dict.fromkeys(match[0] for match in matches):
            index, term = owners[pattern]
            found.setdefault(index, {})[term] = None
        return found

    def match(self, text: str) -> dict[str, list[str]]:
        """Matched terms by category name, each term once, in order of first appearance."""
        return {self._names[index]: list(terms) for index, terms in sorted(self._found(text).items())}

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        return [self.scan(text)[0] for text in texts]

    def near_terms(self, text: str, piece_words: int) -> str:
        """The parts of ``text`` near its strongest terms, for a model that should read only those.

        ``text`` is cut into pieces of ``piece_words`` words; the pieces holding a term of a
        flagging category (any term, cues included, when no piece holds one) and the piece on
        either side are kept, in order: a page that says "user" throughout and "chatbot" once
        is read around "chatbot". A text of three pieces or fewer, or one in which no single
        piece holds a term (a term split between two), is returned whole.
        """
        words = text.split()
        pieces = [" ".join(words[start : start + piece_words]) for start in range(0, len(words), piece_words)]
        if len(pieces) <= 3:
            return text
        found = [self._found(piece) for piece in pieces]
        strong = [i for i, categories in enumerate(found) if any(self._rules[c] != "cue" for c in categories)]
        hits = strong or [i for i, categories in enumerate(found) if categories]
        near = {j for i in hits for j in (i - 1, i, i + 1)}
        if not near:
            return text
        return " ".join(pieces[j] for j in sorted(near) if 0 <= j < len(pieces))

    def scan(self, text: str) -> tuple[Tag, bool]:
        """The tag (terms of the flagging categories only) and whether any term, cues included, matched."""
        tag, any_term, _ = self.scan_categories(text)
        return tag, any_term

    def scan_categories(self, text: str) -> tuple[Tag, bool, frozenset[str]]:
        """:meth:`scan`, and the names of every category with a match (cues included)."""
        found = self._found(text)
        tag, any_term = self._tag_of(found)
        return tag, any_term, frozenset(self._names[index] for index in found)

    def _tag_of(self, found: dict[int, dict[str, None]]) -> tuple[Tag, bool]:
        if not found:
            return Tag(flagged=False, stage=self.name), False
        rules, names = self._rules, self._names
        indexes = sorted(index for index in found if rules[index] != "cue")
        if not indexes:
            return Tag(flagged=False, stage=self.name), True
        instant = [names[index] for index in indexes if rules[index] == "instant"]
        entity = [names[index] for index in indexes if rules[index] == "entity"]
        partner = [names[index] for index in indexes if rules[index] == "two_stage"]
        categories = tuple(instant + (entity + partner if entity and partner else []))
        terms = tuple(term for index in indexes for term in found[index])
        tag = Tag(flagged=bool(categories), reasons=categories, terms=terms, categories=categories, stage=self.name)
        return tag, True
