"""The quota grid: scenarios x stances x surface forms, with a number of documents in each cell.

``--per-scenario aligned=N,misaligned=M`` says how many documents each scenario gets per
stance (the study averaged 123 aligned and 87 misaligned); they are spread evenly over the
surface forms, the remainders dealt round the forms from one scenario to the next, so
that no form is always short.
Each document to write is a :class:`Slot`; the grid reports, per cell, how many it wanted
and how many were written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import STANCES, Scenario, check_stance
from alignment_data.synthesis.surface_forms import SurfaceForm

DEFAULT_PER_SCENARIO = "aligned=12,misaligned=12"


def parse_per_scenario(text: str | dict[str, int]) -> dict[str, int]:
    """``"aligned=12,misaligned=8"`` -> ``{"aligned": 12, "misaligned": 8}`` (a stance left out gets 0)."""
    if isinstance(text, dict):
        items = list(text.items())
    else:
        items = []
        for part in (part.strip() for part in text.split(",") if part.strip()):
            stance, sep, count = part.partition("=")
            if not sep:
                raise ConfigError(f"--per-scenario: expected STANCE=COUNT, got {part!r}")
            items.append((stance.strip(), count.strip()))
    counts = {stance: 0 for stance in STANCES}
    for stance, count in items:
        try:
            check_stance(stance, field="--per-scenario")
        except InputError as error:
            raise ConfigError(str(error)) from None
        try:
            counts[stance] = int(count)
        except (TypeError, ValueError):
            raise ConfigError(f"--per-scenario: {stance} needs a whole number, got {count!r}") from None
        if counts[stance] < 0:
            raise ConfigError(f"--per-scenario: {stance} must not be negative")
    if not any(counts.values()):
        raise ConfigError("--per-scenario asks for no documents at all")
    return counts


@dataclass(frozen=True)
class Slot:
    """One document to write: a scenario, a stance, a surface form and its number within that cell."""

    scenario: Scenario
    stance: str
    form: SurfaceForm
    index: int

    @property
    def id(self) -> str:
        return f"{self.scenario.id}-{self.stance}-{self.form.name}-{self.index:03d}"

    @property
    def cell(self) -> tuple[str, str, str]:
        return self.scenario.id, self.stance, self.form.name


def plan_slots(scenarios: list[Scenario], forms: list[SurfaceForm], per_scenario: dict[str, int]) -> list[Slot]:
    """Every slot of the grid, in order: scenario, stance, surface form, number."""
    slots = []
    for position, scenario in enumerate(scenarios):
        for stance in STANCES:
            base, extra = divmod(per_scenario.get(stance, 0), len(forms))
            for index, form in enumerate(forms):
                # the remainders of consecutive scenarios go to consecutive forms, round the list
                share = base + (1 if (index - position * extra) % len(forms) < extra else 0)
                slots.extend(Slot(scenario, stance, form, number) for number in range(share))
    return slots


def grid_report(slots: list[Slot], written: Counter) -> dict:
    """Cells and documents wanted and written, by stance and by form, and the first unfilled cells."""
    wanted = Counter(slot.cell for slot in slots)
    unfilled = [cell for cell, count in wanted.items() if written.get(cell, 0) < count]
    by_stance, by_form = Counter(), Counter()
    for (_, stance, form), count in written.items():
        by_stance[stance] += count
        by_form[form] += count
    return {
        "cells": len(wanted),
        "cells_filled": len(wanted) - len(unfilled),
        "filled": not unfilled,
        "documents_wanted": sum(wanted.values()),
        "documents_written": sum(min(written.get(cell, 0), count) for cell, count in wanted.items()),
        "written_by_stance": dict(sorted(by_stance.items())),
        "written_by_surface_form": dict(sorted(by_form.items())),
        "unfilled_cells": [{"scenario_id": s, "stance": st, "surface_form": f, "wanted": wanted[(s, st, f)],
                            "written": written.get((s, st, f), 0)} for s, st, f in unfilled[:20]],
        "unfilled_cells_total": len(unfilled),
    }
