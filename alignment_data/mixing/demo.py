"""The demo's mixing step: the study's four conditions (and one late variant) from the demo's own
tag run and the bundled example synthetic documents, tokenized once with the bundled tokenizer."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from alignment_data.mixing.conditions import STUDY_CONDITIONS
from alignment_data.mixing.mixer import DiscourseMixer
from alignment_data.mixing.recipes import MixSettings
from alignment_data.mixing.report import print_conditions
from alignment_data.report import console

# the demo corpus is about 170,000 tokens: short sequences and small batches give it steps to place a late stage in
DEMO_SETTINGS = MixSettings(sequence_length=128, global_batch_tokens=128 * 16, shard_tokens=65_536)
LATE_EXAMPLE = "alignment_upsampled_late"


def _bundled(*parts: str) -> str:
    return str(resources.files("alignment_data").joinpath("data", *parts))


def demo_synthetic_path() -> str:
    return _bundled("demo_synthetic.jsonl")


def demo_tokenizer_path() -> str:
    return _bundled("demo_tokenizer")


def run_mixing_demo(output: str | Path, tag_run: str | Path, executor=None) -> list[dict]:
    """Build the four conditions and a late variant under ``output``; print one table of their manifests."""
    output = Path(output)
    shutil.rmtree(output, ignore_errors=True)
    mixer = DiscourseMixer(str(tag_run), demo_tokenizer_path(), demo_synthetic_path(), work_dir=output / "inputs",
                           executor=executor)
    manifests = [mixer.build(name, output / name, DEMO_SETTINGS) for name in (*STUDY_CONDITIONS, LATE_EXAMPLE)]
    print_conditions(manifests, title="the study's conditions, tokenized once (bundled tokenizer, 4,096 tokens)")
    mixer.plan(LATE_EXAMPLE, DEMO_SETTINGS).plot().savefig(output / LATE_EXAMPLE / "synthetic_placement.png", dpi=120)
    console.print(f"token files by stage and manifest.json per condition in {output}/; where the late synthetic tokens "
                  f"fall: {output / LATE_EXAMPLE / 'synthetic_placement.png'}")
    return manifests
