"""The learning-rate schedule both trainers use: nanotron's, linear warmup then cosine decay to a floor.

nanotron (``lr_scheduler_builder`` in ``src/nanotron/helpers.py`` at the pinned commit) wraps
its rule in a ``LambdaLR`` that is stepped after every optimizer step, so training step ``k``
(1-based) runs at the rule's value for ``k - 1``: the first step of a linear warmup runs at 0.
:meth:`LRSchedule.for_step` gives exactly that, so the reference trainer matches nanotron step
for step; the nanotron config builder writes the same numbers into the YAML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alignment_data.errors import ConfigError


def warmup_steps_for(train_steps: int, fraction: float) -> int:
    """Warmup as a share of the run (the study: 1%), at least one step."""
    return max(1, round(fraction * train_steps))


@dataclass(frozen=True)
class LRSchedule:
    """Peak ``learning_rate`` reached after ``warmup_steps``, then cosine decay over ``decay_steps`` to ``min_lr``."""

    learning_rate: float
    warmup_steps: int
    decay_steps: int
    min_lr: float

    def __post_init__(self):
        if self.learning_rate <= 0 or not 0 <= self.min_lr <= self.learning_rate:
            raise ConfigError(f"learning rates must satisfy 0 <= min_lr <= learning_rate and learning_rate > 0, "
                              f"got {self.min_lr} and {self.learning_rate}")
        if self.warmup_steps < 0 or self.decay_steps < 0:
            raise ConfigError(f"warmup and decay steps must not be negative, got {self.warmup_steps} and {self.decay_steps}")

    @classmethod
    def for_run(cls, learning_rate: float, min_lr: float, train_steps: int, warmup_fraction: float) -> LRSchedule:
        """The study's shape for a run of ``train_steps``: warmup over a fraction, decay over the rest."""
        warmup = warmup_steps_for(train_steps, warmup_fraction)
        return cls(learning_rate, warmup, max(train_steps - warmup, 0), min_lr)

    def at(self, scheduler_step: int) -> float:
        """nanotron's rule at a scheduler step (the number of optimizer steps already taken)."""
        if self.warmup_steps == 0 and self.decay_steps == 0:
            return self.learning_rate
        if scheduler_step <= self.warmup_steps:
            return self.learning_rate * scheduler_step / max(self.warmup_steps, 1)
        if scheduler_step < self.warmup_steps + self.decay_steps:
            progress = (scheduler_step - self.warmup_steps) / self.decay_steps
            return self.min_lr + (self.learning_rate - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2
        return self.min_lr

    def for_step(self, step: int) -> float:
        """The learning rate of training step ``step`` (1-based), as nanotron's ``LambdaLR`` gives it."""
        return self.at(step - 1)
