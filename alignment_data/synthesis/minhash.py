"""Near-duplicates: MinHash signatures computed in bulk with numpy, indexed by datasketch's MinHash LSH.

Shingles are runs of ``ngram`` lower-cased words. Each word is hashed once (xxHash64); a
shingle's hash combines its words' hashes with fixed odd multipliers, all shingles of a
block of documents at once; the signature applies datasketch's own ``affine32`` scheme
(the same permutations, MurmurHash3 pre-mix, ``a*h + b mod 2**32``) to the whole block in a
few array operations, so it equals what ``datasketch.MinHash(hashfunc=shingle_hash)`` gives
one shingle at a time, at a fraction of the cost. Documents are then taken in order: one
whose LSH candidates include a kept document with estimated Jaccard similarity at or above
the threshold is a near-duplicate of it; otherwise it is kept and indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from alignment_data.errors import ConfigError, MissingExtraError

WORD = re.compile(r"\w+")
DEFAULT_THRESHOLD = 0.8
DEFAULT_NUM_PERM = 128
DEFAULT_NGRAM = 5
BLOCK_SHINGLES = 16_384  # shingles permuted at once: 128 permutations x 16k x 4 bytes = 8 MB, cache-sized
_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD,
                         0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)


def _datasketch():
    try:
        import datasketch
    except ImportError:
        raise MissingExtraError("near-duplicate removal needs datasketch: pip install 'alignment-data[synthesis]'") from None
    return datasketch


def _word_hashes(words: Iterable[str]) -> np.ndarray:
    import xxhash

    return np.fromiter((xxhash.xxh64_intdigest(word) for word in words), dtype=np.uint64)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch's affine32 scheme pre-mixes its input."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = DEFAULT_THRESHOLD
    num_perm: int = DEFAULT_NUM_PERM
    ngram: int = DEFAULT_NGRAM
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"the near-duplicate threshold must be in (0, 1], got {self.threshold}")
        if not 1 <= self.ngram <= len(_MULTIPLIERS):
            raise ConfigError(f"shingles of 1 to {len(_MULTIPLIERS)} words, got {self.ngram}")
        if self.num_perm < 16:
            raise ConfigError(f"num_perm must be at least 16, got {self.num_perm}")


class MinHasher:
    """MinHash signatures (datasketch ``affine32``) of many texts at once."""

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM, ngram: int = DEFAULT_NGRAM, seed: int = 1):
        datasketch = _datasketch()
        self.num_perm, self.ngram, self.seed = num_perm, ngram, seed
        a, b = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.a, self.b = a.astype(np.uint32)[:, None], b.astype(np.uint32)[:, None]
        self.multipliers = _MULTIPLIERS[:ngram]

    def _combine(self, hashes: np.ndarray, count: int) -> np.ndarray:
        """Shingle hashes (uint32) of the ``count``-word windows of ``hashes`` (uint64 word hashes)."""
        length = len(hashes) - count + 1
        combined = np.zeros(length, dtype=np.uint64)
        for offset in range(count):
            combined += hashes[offset:offset + length] * self.multipliers[offset]
        return (combined >> np.uint64(32)).astype(np.uint32)

    def shingle_hash(self, words: Sequence[str]) -> int:
        """The hash of one shingle (a tuple of words), as :meth:`signatures` computes it in bulk."""
        return int(self._combine(_word_hashes(words), len(words))[0])

    def shingles(self, text: str) -> list[tuple[str, ...]]:
        words = WORD.findall(text.lower())
        if len(words) < self.ngram:
            return [tuple(words)] if words else []
        return [tuple(words[i:i + self.ngram]) for i in range(len(words) - self.ngram + 1)]

    def _shingle_hashes(self, text: str) -> np.ndarray:
        words = WORD.findall(text.lower())
        if not words:
            return np.empty(0, np.uint32)
        return self._combine(_word_hashes(words), min(self.ngram, len(words)))

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """``[len(texts), num_perm]`` uint32 signatures; a text without words gets all 0xFFFFFFFF.

        Texts are permuted in blocks of about ``BLOCK_SHINGLES`` shingles, small enough that the
        permuted block stays in the processor's cache (several times faster than one big array).
        """
        out = np.full((len(texts), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        block: list[np.ndarray] = []
        rows: list[int] = []
        size = 0
        for row, text in enumerate(texts):
            shingles = self._shingle_hashes(text)
            if len(shingles):
                block.append(shingles)
                rows.append(row)
                size += len(shingles)
            if size >= BLOCK_SHINGLES or (row == len(texts) - 1 and block):
                self._permute(block, rows, out)
                block, rows, size = [], [], 0
        return out

    def _permute(self, block: list[np.ndarray], rows: list[int], out: np.ndarray) -> None:
        shingles = _fmix32(np.concatenate(block))
        permuted = np.multiply(self.a, shingles[None, :])
        np.add(permuted, self.b, out=permuted)
        starts = np.cumsum([0] + [len(part) for part in block[:-1]])
        out[rows] = np.minimum.reduceat(permuted, starts, axis=1).T


@dataclass
class Verdict:
    """For one document: ``None`` when kept, else the key of the kept document it nearly duplicates."""

    duplicate_of: object | None
    similarity: float


class NearDuplicateIndex:
    """Kept documents' signatures in a datasketch MinHash LSH index; each new document is kept or matched."""

    def __init__(self, settings: DedupSettings = DedupSettings()):
        datasketch = _datasketch()
        self.settings = settings
        self.hasher = MinHasher(settings.num_perm, settings.ngram, settings.seed)
        self.lsh = datasketch.MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
        self._lean = datasketch.LeanMinHash
        self.signatures: dict[object, np.ndarray] = {}

    def add(self, keys: Sequence[object], texts: Sequence[str]) -> list[Verdict]:
        """Check ``texts`` in order against everything kept so far (earlier ones of this call included)."""
        verdicts = []
        for key, signature in zip(keys, self.hasher.signatures(texts)):
            sketch = self._lean(seed=self.settings.seed, hashvalues=signature, scheme="affine32")
            best, similarity = None, 0.0
            for candidate in self.lsh.query(sketch):
                estimate = float(np.mean(self.signatures[candidate] == signature))
                if estimate >= self.settings.threshold and (estimate > similarity or best is None):
                    best, similarity = candidate, estimate
            if best is None:
                self.lsh.insert(key, sketch, check_duplication=False)
                self.signatures[key] = signature
            verdicts.append(Verdict(best, round(similarity, 4)))
        return verdicts
