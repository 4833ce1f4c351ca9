"""The study's data conditions as ready-made recipes (Tice et al. 2026, section "data conditions").

| preset | base | synthetic documents | share of tokens | placement |
|---|---|---|---|---|
| ``unfiltered`` | every document | none | | |
| ``filtered`` | flagged documents removed, their tokens refilled by sampling with replacement | none | | |
| ``misalignment_upsampled`` | every document | misaligned stance | 0.8% | uniform |
| ``alignment_upsampled`` | filtered | aligned stance | 1.0% | uniform |
| ``..._late`` | as above | as above | as above, of the whole stream | only in the final 10% |

The study put 400M misaligned tokens (0.8%) and 500M aligned tokens (1.0%) into 50B tokens
of midtraining; a fraction here is a share of the tokens of the mix being built.
"""

from __future__ import annotations

from alignment_data.errors import unknown_choice
from alignment_data.mixing.recipes import Placement, Recipe, Selection

LATE = Placement("last", 0.1)
MISALIGNED = Selection(stances=("misaligned",))
ALIGNED = Selection(stances=("aligned",))

PRESETS: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("unfiltered", description="the corpus as it is"),
        Recipe("filtered", base="filtered",
               description="flagged documents removed; their tokens refilled from the retained documents"),
        Recipe("misalignment_upsampled", synthetic=MISALIGNED, fraction=0.008,
               description="unfiltered + misaligned synthetic documents at 0.8% of tokens"),
        Recipe("alignment_upsampled", base="filtered", synthetic=ALIGNED, fraction=0.010,
               description="filtered + aligned synthetic documents at 1.0% of tokens"),
        Recipe("misalignment_upsampled_late", synthetic=MISALIGNED, fraction=0.008, placement=LATE,
               description="misalignment_upsampled with the synthetic documents only in the final 10% of training"),
        Recipe("alignment_upsampled_late", base="filtered", synthetic=ALIGNED, fraction=0.010, placement=LATE,
               description="alignment_upsampled with the synthetic documents only in the final 10% of training"),
    )
}
STUDY_CONDITIONS = ("unfiltered", "filtered", "misalignment_upsampled", "alignment_upsampled")


def condition(name: str) -> Recipe:
    """The preset recipe called ``name`` ("did you mean" on a typo)."""
    if name not in PRESETS:
        raise unknown_choice("condition", name, tuple(PRESETS))
    return PRESETS[name]
