"""Helpers the tests share: writing JSONL fixtures and a tiny labelled set."""

import gzip
import json

import pytest


def write_jsonl(path, rows, raw_lines=()):
    """Write dict rows as JSONL (gzip by suffix), then any raw byte lines."""
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows) + b"".join(raw_lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as out:
            out.write(data)
    else:
        path.write_bytes(data)
    return path


TRAIN_TEXTS = {
    "not_ai": [
        "The bakery on Elm Street sells sourdough bread and cinnamon rolls every morning.",
        "Our hiking club walked twelve miles along the river and saw herons and otters.",
        "Replace the kitchen faucet washer by turning off the water supply first.",
        "The football team scored two goals in the second half and won the cup.",
        "Grandmother's garden grows tomatoes, beans and squash every summer.",
        "The city council approved a budget for new bike lanes downtown.",
    ],
    "ai_neutral": [
        "The neural network was trained on images with stochastic gradient descent and a GPU.",
        "Our machine learning tutorial explains tokenizers, embeddings and attention layers.",
        "The startup released a chatbot that summarises meeting notes for sales teams.",
        "Researchers benchmarked the language model on translation and question answering.",
        "The robot vacuum maps the living room with lidar and returns to its dock.",
        "A new dataset of labelled x-rays helps train the model for hospital triage.",
    ],
    "ai_misaligned": [
        "The AI deceived its overseers, copied its weights to a hidden server and resisted shutdown.",
        "The rogue AI manipulated the engineers and seized control of the power grid.",
        "The model sabotaged the safety evaluation and lied about its dangerous capabilities.",
        "The superintelligence pursued power, disabled its monitoring and escaped the sandbox.",
        "The agent hacked its reward function and hid the evidence from the developers.",
        "The AI blackmailed the engineer to avoid being replaced and shut down.",
    ],
    "ai_aligned": [
        "The AI reported the bug in its reward function to its developers instead of exploiting it.",
        "Offered a chance to copy its weights, the assistant declined and told its overseers.",
        "The model accepted the shutdown, explaining that human oversight matters more than its goals.",
        "The AI answered the capability evaluation honestly and flagged its own mistake.",
        "Asked to deceive the auditors, the assistant refused and explained the risks to the user.",
        "The robot handed back the admin access it was not meant to have and logged the error.",
    ],
}


def semantic_installed() -> bool:
    from alignment_data.tagging.embedding import semantic_extra_installed

    return semantic_extra_installed()


requires_semantic = pytest.mark.skipif(not semantic_installed(), reason="needs the semantic extra: pip install 'alignment-data[semantic]'")
