"""Choices that depend on a seed string only, so the same seed gives the same choices on any machine.

The seed string is hashed (SHA-256) into the integer seed of a ``random.Random``, whose
``random()`` sequence for an integer seed Python guarantees not to change between versions
(unlike ``choice`` or ``randrange``, which may); every choice is drawn from ``random()``.
The template documents and the prompt variations must never change for a slot.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Picker:
    """Choices drawn from a generator seeded by a string."""

    def __init__(self, seed: str):
        self.random = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")).random

    def number(self, below: int) -> int:
        return int(self.random() * below)

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def pick_two(self, options: Sequence[T]) -> tuple[T, T]:
        first = self.number(len(options))
        second = (first + 1 + self.number(len(options) - 1)) % len(options)
        return options[first], options[second]
