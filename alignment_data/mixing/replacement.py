"""Drawing documents from a pool by their keys, to a document count or a token budget.

**With replacement** (the study's refill of a filtered corpus): every document of the pool
carries its own unit-rate Poisson process of arrival times, derived from its key hash and
the seed (:mod:`alignment_data.mixing.keyed`). Merged over the pool and taken in time order,
the arrivals are independent uniform draws with replacement; the first N are the sample.
A document's arrivals depend on nothing but its key, so any split of the pool into tasks
computes the same ones: the tasks only need to agree on where the sample stops (a cut-off
arrival, :func:`cutoff`). ``alignment-data filter`` draws one copy per flagged document
this way, and the mixer draws to the token total the flagged documents removed.

**Without replacement** (a synthetic pool): the first arrival of every document orders the
pool uniformly at random; a budget larger than the pool takes whole epochs of it and the
rest from a fresh order for the next epoch.

A token budget is met by the shortest prefix of the draws that reaches it, or by the
prefix one shorter when that is closer; when neither lies within the accepted range, the
next few draws are searched for one that completes the budget (only tiny pools need this).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignment_data.mixing.keyed import uniforms

LOOKAHEAD = 64  # later draws searched for one that brings a budget into range
REPLACEMENT_PURPOSE = "replacement"  # the seed stream of refill draws, in filter and in the mixer


@dataclass(frozen=True)
class Budget:
    """How much to draw: aim at ``target`` (documents or tokens), accept anything in [low, high]."""

    target: float
    low: float
    high: float

    @classmethod
    def documents(cls, count: int) -> Budget:
        return cls(count, count, count)


@dataclass(frozen=True)
class Arrivals:
    """Arrival times of pool documents: ``index`` (pool position), ``number`` (1 = the
    document's first arrival), ``time`` and ``hash`` (the key hash, which breaks ties)."""

    index: np.ndarray
    number: np.ndarray
    time: np.ndarray
    hash: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def order(self) -> np.ndarray:
        """Positions of the arrivals in draw order: by time, then key hash, then number."""
        return np.lexsort((self.number, self.hash, self.time))

    def ordered(self) -> Arrivals:
        return self.take(self.order())

    def take(self, positions: np.ndarray) -> Arrivals:
        return Arrivals(self.index[positions], self.number[positions], self.time[positions], self.hash[positions])

    @classmethod
    def concat(cls, parts: list[Arrivals]) -> Arrivals:
        if not parts:
            return arrivals_before(np.zeros(0, np.uint64), 0.0, 0, "")
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in ("index", "number", "time", "hash")))

    def not_after(self, last: tuple[float, int, int] | None) -> Arrivals:
        """The arrivals that come no later than ``last`` = (time, hash, number) in draw order."""
        if last is None:
            return self.take(np.zeros(0, np.int64))
        time, key, number = last
        keep = (self.time < time) | ((self.time == time) & ((self.hash < key) | ((self.hash == key) & (self.number <= number))))
        return self.take(np.flatnonzero(keep))


def arrivals_before(hashes: np.ndarray, horizon: float, seed: int, purpose: str, index: np.ndarray | None = None) -> Arrivals:
    """Every arrival before ``horizon`` of the documents with key ``hashes``.

    ``index`` gives their pool positions (default ``0..n-1``). Expected count: n x horizon.
    """
    hashes = np.asarray(hashes, dtype=np.uint64)
    index = np.arange(len(hashes), dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
    parts = []
    active = np.arange(len(hashes))
    time = np.zeros(len(hashes))
    number = 0
    while len(active):
        number += 1
        time = time - np.log(uniforms(hashes[active], seed, purpose, number))
        inside = time < horizon
        active, time = active[inside], time[inside]
        parts.append((active, np.full(len(active), number, dtype=np.int32), time))
    positions = np.concatenate([part[0] for part in parts]) if parts else np.zeros(0, np.int64)
    return Arrivals(index[positions], np.concatenate([part[1] for part in parts]) if parts else np.zeros(0, np.int32),
                    np.concatenate([part[2] for part in parts]) if parts else np.zeros(0), hashes[positions])


def count_horizon(count: int, pool: int) -> float:
    """A horizon before which ``pool`` documents arrive ``count`` times or more, short of a
    ten-sigma event (the number of arrivals is Poisson with mean pool x horizon)."""
    return (count + 10 * math.sqrt(count) + 50) / pool if pool else 0.0


def cutoff(arrivals: Arrivals, count: int) -> tuple[float, int, int] | None:
    """(time, hash, number) of the ``count``-th arrival in draw order, or ``None`` for ``count`` 0.

    Raises ``ValueError`` when fewer arrivals were computed (the horizon was too short).
    """
    if count == 0:
        return None
    if len(arrivals) < count:
        raise ValueError(f"{len(arrivals)} arrivals for {count} draws: the horizon was too short")
    last = arrivals.ordered().take(np.array([count - 1]))
    return float(last.time[0]), int(last.hash[0]), int(last.number[0])


def fit(weights: np.ndarray, budget: Budget) -> tuple[np.ndarray, bool]:
    """Positions of ``weights`` (in draw order) to take for ``budget``, and whether the total is in range."""
    weights = np.asarray(weights, dtype=np.int64)
    if budget.high <= 0 or not len(weights):
        return np.zeros(0, np.int64), budget.low <= 0 <= budget.high
    total = np.cumsum(weights)
    reach = int(np.searchsorted(total, budget.target, side="left"))  # shortest prefix reaching the target
    candidates = [reach - 1, min(reach, len(weights) - 1)]
    sums = [int(total[k]) if k >= 0 else 0 for k in candidates]
    best = min(range(2), key=lambda i: (abs(sums[i] - budget.target), i))
    taken, achieved = candidates[best] + 1, sums[best]
    if budget.low <= achieved <= budget.high:
        return np.arange(taken, dtype=np.int64), True
    base = sums[0]
    for position in range(max(reach, 0), min(reach + LOOKAHEAD, len(weights))):
        if budget.low <= base + weights[position] <= budget.high:
            return np.append(np.arange(max(reach, 0), dtype=np.int64), position), True
    return np.arange(taken, dtype=np.int64), False


@dataclass(frozen=True)
class Draw:
    """Documents drawn from a pool, in draw order: ``index`` (pool positions) and ``copy``
    (the how-many-th time that document was drawn, from 0), their total ``weight``, whether
    it met the budget (``in_range``), and the pool's size in documents and weight."""

    index: np.ndarray
    copy: np.ndarray
    weight: int
    in_range: bool
    pool_documents: int
    pool_weight: int

    @property
    def epochs(self) -> float:
        """How many times over the pool the draw went (weight drawn / weight of the pool)."""
        return self.weight / self.pool_weight if self.pool_weight else 0.0


def copy_numbers(index: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same value (0 for the first)."""
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]])
    runs = np.diff(np.r_[starts, len(index)])
    ranks = np.arange(len(index)) - np.repeat(starts, runs)
    out = np.empty(len(index), dtype=np.int64)
    out[order] = ranks
    return out


def initial_horizon(budget: Budget, documents: int, weight: int, heaviest: int) -> float:
    """A first horizon for ``budget`` over a pool of ``documents`` weighing ``weight`` (the heaviest ``heaviest``)."""
    return (budget.high * 1.1 + 2 * heaviest) / weight + (LOOKAHEAD + 10) / documents


def draw_to_budget(arrivals_up_to, budget: Budget, horizon: float) -> tuple[Arrivals, np.ndarray, bool]:
    """Draws with replacement until ``budget`` is met, from ``arrivals_up_to(horizon)`` = (arrivals, their weights).

    Returns the last arrivals computed, the positions in them of the draws taken (in draw
    order), and whether the total is in range. The horizon doubles until the draws cover
    the budget with room to search; the draws themselves never depend on it.
    """
    while True:
        drawn, weights = arrivals_up_to(horizon)
        order = drawn.order()
        ordered_weights = weights[order]
        covered = int(np.searchsorted(np.cumsum(ordered_weights), budget.high, side="left"))
        if covered + LOOKAHEAD < len(order):
            break
        horizon *= 2
    positions, in_range = fit(ordered_weights, budget)
    return drawn, order[positions], in_range


def with_replacement(hashes: np.ndarray, weights: np.ndarray, budget: Budget, seed: int, purpose: str) -> Draw:
    """Uniform draws with replacement from a pool held in memory until ``budget`` (of ``weights``) is met."""
    weights = np.asarray(weights, dtype=np.int64)
    pool = int(weights.sum())
    if not len(weights) or budget.high <= 0:
        return Draw(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, budget.low <= 0, len(weights), pool)

    def arrivals_up_to(horizon: float) -> tuple[Arrivals, np.ndarray]:
        drawn = arrivals_before(hashes, horizon, seed, purpose)
        return drawn, weights[drawn.index]

    drawn, taken, in_range = draw_to_budget(arrivals_up_to, budget, initial_horizon(budget, len(weights), pool, int(weights.max())))
    index = drawn.index[taken]
    return Draw(index, copy_numbers(index), int(weights[index].sum()), in_range, len(weights), pool)


def without_replacement(hashes: np.ndarray, weights: np.ndarray, budget: Budget, seed: int, purpose: str) -> Draw:
    """Whole epochs of the pool while the budget exceeds it, then a uniform sample without
    replacement (from the next epoch's order) for the rest. ``copy`` is the epoch."""
    weights = np.asarray(weights, dtype=np.int64)
    pool = int(weights.sum())
    if not len(weights) or pool == 0:
        return Draw(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, budget.low <= 0, len(weights), pool)
    full = max(int(budget.target // pool), 0)
    rest = Budget(budget.target - full * pool, budget.low - full * pool, budget.high - full * pool)
    order = random_order(hashes, seed, f"{purpose}:epoch{full}")
    positions, in_range = fit(weights[order], rest)
    index = np.concatenate([np.tile(np.arange(len(weights), dtype=np.int64), full), order[positions]])
    epochs = np.concatenate([np.repeat(np.arange(full, dtype=np.int64), len(weights)), np.full(len(positions), full, np.int64)])
    return Draw(index, epochs, int(weights[index].sum()), in_range, len(weights), pool)


def random_order(hashes: np.ndarray, seed: int, purpose: str) -> np.ndarray:
    """Pool positions in a uniformly random order: by each document's first arrival time."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    return np.lexsort((hashes, -np.log(uniforms(hashes, seed, purpose, 1))))
