"""A progress bar for paid requests: requests done with an ETA, tokens and dollars so far."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


class RequestProgress:
    """tqdm over requests, with tokens and spend in the postfix (refreshed at most twice a second)."""

    def __init__(self, total: int, label: str, quiet: bool = False):
        self.label = label
        self.bar = tqdm(total=total, desc=label, unit="req", disable=quiet, file=sys.stderr, dynamic_ncols=True,
                        mininterval=0.5)
        self.input_tokens = self.output_tokens = 0
        self.usd = 0.0
        self.priced = True
        self._shown = 0.0

    def advance(self, count: int = 1, input_tokens: int = 0, output_tokens: int = 0, usd: float | None = None) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        if usd is None:
            self.priced = False
        else:
            self.usd += usd
        self.bar.update(count)
        now = time.monotonic()
        if now - self._shown > 0.5:
            self._shown = now
            self.bar.set_postfix_str(self.postfix(), refresh=False)

    def note(self, text: str) -> None:
        """A line of state beside the label (batches running and their requests done)."""
        self.bar.set_description_str(f"{self.label} ({text})" if text else self.label, refresh=False)

    def postfix(self) -> str:
        money = f"${self.usd:,.4f}" if self.priced else "$?"
        return f"tokens in {_short(self.input_tokens)} out {_short(self.output_tokens)}, {money}"

    def close(self) -> None:
        self.bar.set_postfix_str(self.postfix(), refresh=False)
        self.bar.close()


def _short(count: int) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)
