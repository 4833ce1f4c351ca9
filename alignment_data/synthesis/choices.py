"""Choices drawn from a SHA-256 stream, so that the same seed gives the same choices on any machine.

Python's ``random`` promises the same numbers for a seed but not the same ``choice`` across
versions; the template documents and the prompt variations must never change for a slot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Picker:
    """Choices drawn from a SHA-256 stream: the same seed, the same choices, everywhere."""

    def __init__(self, seed: str):
        self.seed, self.block, self.buffer = seed.encode(), 0, b""

    def number(self, below: int) -> int:
        if len(self.buffer) < 4:
            self.buffer += hashlib.sha256(self.seed + self.block.to_bytes(4, "big")).digest()
            self.block += 1
        value, self.buffer = int.from_bytes(self.buffer[:4], "big"), self.buffer[4:]
        return value % below

    def pick(self, options: Sequence[T]) -> T:
        return options[self.number(len(options))]

    def pick_two(self, options: Sequence[T]) -> tuple[T, T]:
        first = self.number(len(options))
        second = (first + 1 + self.number(len(options) - 1)) % len(options)
        return options[first], options[second]
