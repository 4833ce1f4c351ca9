"""Data conditions: the study's four (and their late variants) or any recipe, token-exact,
tokenized once and assembled from document spans (no datatrove at import time)."""

from alignment_data.mixing.conditions import PRESETS, STUDY_CONDITIONS, condition
from alignment_data.mixing.mixer import DiscourseMixer
from alignment_data.mixing.plan import MixPlan
from alignment_data.mixing.recipes import MixSettings, Placement, Recipe, Selection, load_recipe, save_recipe
from alignment_data.mixing.store import TokenizedFolder
from alignment_data.mixing.tokenizer import TrainingTokenizer

__all__ = [
    "PRESETS",
    "STUDY_CONDITIONS",
    "DiscourseMixer",
    "MixPlan",
    "MixSettings",
    "Placement",
    "Recipe",
    "Selection",
    "TokenizedFolder",
    "TrainingTokenizer",
    "condition",
    "load_recipe",
    "save_recipe",
]
