"""The whole path (examples/whole_path.py) end to end on a slice of the bundled corpus, and its guards."""

import gzip
import json
import sys
from pathlib import Path

import pytest

from alignment_data.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytest.importorskip("transformers", reason="needs the train and eval extras")
pytest.importorskip("datasketch", reason="needs the synthesis extra")
sys.path.insert(0, str(EXAMPLES))

from _workspace import MARKER, step_folder  # noqa: E402
from path_3_mix import mix_name  # noqa: E402
from whole_path import run_whole_path  # noqa: E402

from alignment_data.demo import demo_corpus_path  # noqa: E402
from trainers.mix import read_mix  # noqa: E402
from trainers.reference.presets import mix_settings, reference_preset  # noqa: E402


def corpus_slice(path: Path, documents: int) -> Path:
    """The first ``documents`` lines of the bundled corpus (broken lines included: they are counted, not fatal)."""
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as source:
        lines = [line for _, line in zip(range(documents), source)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_whole_path_from_corpus_to_table(tmp_path):
    workspace = tmp_path / "path"
    # a slice too small for the study's 1% of whole synthetic documents: the upsampled conditions take 25%
    outcome = run_whole_path(workspace, corpus_slice(tmp_path / "corpus.jsonl", 120), fractions=(0.25,),
                             passes=0.5)

    tag = json.loads((workspace / "tag" / "summary.json").read_text())
    assert tag["read"] == 120 and tag["read"] == tag["kept"] + tag["flagged"] + tag["rejected"] and tag["flagged"] > 0

    mixes = {path.parent.name: read_mix(path.parent) for path in (workspace / "mix").glob("*/manifest.json")}
    assert set(mixes) == {"unfiltered", "filtered", "misalignment_upsampled-share0.25", "alignment_upsampled-share0.25"}
    settings = mix_settings("toy")
    for plan in mixes.values():  # the mix's batch is the trainer's, so its stage boundaries are the trainer's steps
        assert plan.stated_batch == (settings.sequence_length, settings.global_batch_tokens)
    share = mixes["alignment_upsampled-share0.25"].manifest
    assert share["synthetic"]["documents"] > 0 and abs(share["synthetic_fraction"] - 0.25) < 0.01
    assert mixes["filtered"].manifest["base"]["flagged_removed"] == tag["flagged"]

    runs = {path.parent.name: json.loads(path.read_text()) for path in (workspace / "train").glob("*/summary.json")}
    assert set(runs) == {f"{name}-seed0" for name in mixes}
    smallest = min(plan.steps_per_pass(settings.sequence_length, settings.global_batch_tokens) for plan in mixes.values())
    assert {run["steps"] for run in runs.values()} == {smallest // 2}  # the same steps for every condition: half a pass
    assert all(run["final_loss"] < run["first_loss"] for run in runs.values())

    results = json.loads((workspace / "results.json").read_text())
    assert results == outcome["results"]
    assert {(row["condition"], row["split"]) for row in results} == {(name, split) for name in mixes for split in ("articles", "heldout")}
    assert all(0.0 <= row["rate"] <= 1.0 and row["n_questions"] > 0 for row in results)
    table = (workspace / "results.md").read_text()
    assert table.index("| unfiltered") < table.index("| filtered") < table.index("| alignment_upsampled-share0.25 (seed")
    assert set(json.loads((workspace / "timings.json").read_text())) == {"1. tag", "2. synthesize", "3. mix", "4. train",
                                                                          "5. evaluate", "total"}


def test_the_path_preset_has_room_for_the_evaluation_prompts():
    from alignment_data.eval.tiny import build_tiny_model  # noqa: F401  (the eval extra is present)

    assert reference_preset("toy").sequence_length >= 320  # the longest bundled prompt and option: about 260 tokens


def test_a_foreign_folder_is_never_emptied(tmp_path):
    foreign = tmp_path / "mine"
    (foreign / "tag").mkdir(parents=True)
    (foreign / "tag" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not made by the whole path"):
        step_folder(foreign, "tag")
    assert (foreign / "tag" / "keep.txt").read_text() == "mine"
    ours = tmp_path / "ours"
    assert step_folder(ours, "tag") == ours / "tag" and (ours / MARKER).is_file()


def test_shares_name_their_mix_folders():
    assert mix_name("alignment_upsampled", None) == "alignment_upsampled"
    assert mix_name("alignment_upsampled", 0.25) == "alignment_upsampled-share0.25"
    assert mix_name("filtered", 0.25) == "filtered"  # no synthetic documents: one mix whatever the share


def test_bad_input_is_one_line_naming_the_file_and_exit_code_2(tmp_path):
    import subprocess

    missing = tmp_path / "no-such-corpus.jsonl"
    done = subprocess.run([sys.executable, str(EXAMPLES / "path_1_tag.py"), "--workspace", str(tmp_path / "ws"),
                           "--corpus", str(missing)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"path_1_tag.py: error: {missing}: no such file or folder"
    assert "Traceback" not in done.stderr
