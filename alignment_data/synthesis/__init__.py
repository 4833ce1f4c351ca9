"""Synthesis: scenarios from source texts, scenario-grounded documents over a quota grid, near-duplicate removal.

The three commands are also the Python API::

    from alignment_data.synthesis import synthesize, generate_scenarios, dedup_documents
    summary = synthesize("scenarios.jsonl", "run/", backend="template", per_scenario="aligned=12,misaligned=12")
    documents = read_synthetic_documents(summary["files"]["documents"])

Submodules import their provider SDKs only when a backend needs them, so importing this
package stays cheap; the names below load on first use.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "synthesize": "alignment_data.synthesis.documents",
    "generate_scenarios": "alignment_data.synthesis.scenarios",
    "dedup_documents": "alignment_data.synthesis.dedup",
    "cancel_batches": "alignment_data.synthesis.cancel",
    "SynthesizeOptions": "alignment_data.synthesis.options",
    "ScenarioOptions": "alignment_data.synthesis.options",
    "DedupOptions": "alignment_data.synthesis.options",
    "NearDuplicateIndex": "alignment_data.synthesis.minhash",
    "MinHasher": "alignment_data.synthesis.minhash",
    "JudgeTagger": "alignment_data.synthesis.judge",
    "make_backend": "alignment_data.synthesis.backends.base",
    "RequestEngine": "alignment_data.synthesis.engine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'alignment_data.synthesis' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
