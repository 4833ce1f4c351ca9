"""Option fields that several taggers share, so each is defined (help, default) once."""

from __future__ import annotations

from alignment_data.errors import unknown_choice
from alignment_data.options import option
from alignment_data.tagging.policy import DEFAULT_POLICY, POLICY_NAMES


def terms_field():
    return option((), "term file or folder applied over the default lists (see docs/tagging.md)", metavar="PATH")


def model_field():
    return option(None, "fastText model file (default: the shipped model)", metavar="PATH")


def lexical_field():
    return option(None, "lexical model file (default: the shipped model)", metavar="PATH")


def head_field():
    return option(None, "embedding head file (default: the shipped head)", metavar="PATH")


def encoder_field():
    return option(None, "sentence-transformers model folder (default: the shipped all-MiniLM-L6-v2)", metavar="PATH")


def device_field():
    return option(None, "device of the sentence encoder: cpu, cuda, cuda:1 ... (default: cuda when available, else cpu)")


PRECISIONS = ("auto", "float32", "bfloat16")


def precision_field():
    return option("auto", "arithmetic of the sentence encoder: bfloat16 (about 3x faster on CPUs with AMX or "
                  "AVX-512 BF16, and on GPUs), float32 (the same numbers on every machine), or auto (bfloat16 "
                  "where the hardware runs it natively)", choices=PRECISIONS)


def compile_field():
    return option(False, "compile the sentence encoder with torch.compile: 1.25x faster encoding after 12 to 36 s "
                  "of compiling in each process (worth it beyond about 100 MB per process; needs a C++ compiler on CPU)")


def check_precision(precision: str) -> None:
    """A :class:`ConfigError` naming the choices when ``precision`` is not one of them."""
    if precision not in PRECISIONS:
        raise unknown_choice("encoder precision", precision, PRECISIONS)


def policy_field():
    return option(DEFAULT_POLICY, "what counts as flagged: misaligned AI discourse, all AI discourse, or "
                  "the study's blocklist rule (cascade only)", choices=POLICY_NAMES)


def threshold_field():
    return option(None, "policy threshold (default: the one tuned on the validation split)")
