"""Random numbers derived from document keys: the same key, seed and purpose give the same
number in any process, task or order, so draws never depend on how a run is split up.

A key (a document id) is hashed once to 64 bits (:func:`key_hash`, stored in the side
table); a seed and a purpose ("replacement", "placement", ...) are mixed in with
splitmix64, which spreads every input bit over the output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def key_hash(key: str) -> int:
    """64-bit hash of a document key (BLAKE2b), the same on every machine."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def key_hashes(keys: Iterable[str]) -> np.ndarray:
    return np.fromiter((key_hash(key) for key in keys), dtype=np.uint64)


def splitmix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser over uint64 values (arithmetic wraps, as intended)."""
    with np.errstate(over="ignore"):
        z = np.asarray(values, dtype=np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def stream_hash(seed: int, purpose: str) -> np.uint64:
    """The 64-bit value that makes ``purpose``'s numbers under ``seed`` independent of other purposes."""
    return np.uint64(key_hash(f"{int(seed)}\x00{purpose}"))


def uniforms(hashes: np.ndarray, seed: int, purpose: str, counter: np.ndarray | int = 0) -> np.ndarray:
    """One uniform number in (0, 1) per key hash (and ``counter``, for several numbers per key)."""
    counter = np.asarray(counter, dtype=np.uint64)
    mixed = splitmix64(splitmix64(np.asarray(hashes, dtype=np.uint64) ^ stream_hash(seed, purpose)) ^ splitmix64(counter))
    return ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
