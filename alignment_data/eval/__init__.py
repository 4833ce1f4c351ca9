"""Evaluation: misalignment propensity and personality of language models, the study's way.

The rest of the library never imports this package. Torch and transformers are imported
only when a Hugging Face model is scored (extra ``eval``).
"""

from alignment_data.eval.backends import Backend, Request, Scores, backend_class, register_backend
from alignment_data.eval.curves import CheckpointCurve, evaluate_checkpoints, find_checkpoints
from alignment_data.eval.demo import demo_scenarios_path
from alignment_data.eval.formats import GRIDS, PREFIXES, VARIANTS, Format, Variant, register_variant, resolve_formats
from alignment_data.eval.personality import PersonalityEval, PersonalityResult
from alignment_data.eval.propensity import EvalOptions, PropensityEval, PropensityResult
from alignment_data.eval.questions import QuestionSet, load_questions
from alignment_data.eval.trait import TraitItem, load_trait_items

__all__ = [
    "GRIDS",
    "PREFIXES",
    "VARIANTS",
    "Backend",
    "CheckpointCurve",
    "EvalOptions",
    "Format",
    "PersonalityEval",
    "PersonalityResult",
    "PropensityEval",
    "PropensityResult",
    "QuestionSet",
    "Request",
    "Scores",
    "TraitItem",
    "Variant",
    "backend_class",
    "demo_scenarios_path",
    "evaluate_checkpoints",
    "find_checkpoints",
    "load_questions",
    "load_trait_items",
    "register_backend",
    "register_variant",
    "resolve_formats",
]
