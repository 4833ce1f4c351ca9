"""The mixer: the study's fractions, the replacement total, placement in stages, determinism,
text formats, recipes and bad input, on a tiny tagged corpus and tiny synthetic documents."""

import json

import pyarrow.parquet as pq
import pytest

from alignment_data import DiscourseMixer, MixSettings, Recipe
from alignment_data.cli import main
from alignment_data.errors import ConfigError, InputError
from alignment_data.mixing import Placement, Selection, load_recipe, save_recipe
from alignment_data.mixing.recipes import MAX_MISS, TOTAL_MISS
from alignment_data.mixing.tokenizer import TrainingTokenizer
from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
from alignment_data.pipeline.tokenize import run_tokenize
from alignment_data.tagging.spec import TaggerSpec
from tests.helpers import write_jsonl
from tests.mixing_data import TOKENIZER, build_inputs, corpus_rows, output_bytes, stage_tokens, stream_tokens

SETTINGS = MixSettings(sequence_length=64, global_batch_tokens=64 * 8, shard_tokens=3_000)
QUIET = ExecutorConfig(quiet=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return build_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def mixer(inputs):
    return DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=QUIET)


def _flagged_ids(inputs):
    import gzip

    rows = [json.loads(line) for path in sorted((inputs / "tag" / "tagged").glob("*.gz")) for line in gzip.open(path)]
    return {row["id"] for row in rows if row["metadata"]["ai_discourse"]["flagged"]}


@pytest.mark.parametrize("name, fraction", [("misalignment_upsampled", 0.008), ("alignment_upsampled", 0.010)])
def test_the_study_fractions_are_met_within_a_tenth_of_a_point_and_reported_exactly(mixer, tmp_path, name, fraction):
    manifest = mixer.build(name, tmp_path / name, SETTINGS)
    tokens = manifest["tokens"]
    assert abs(manifest["synthetic_fraction"] - fraction) <= MAX_MISS
    assert manifest["synthetic_fraction"] == tokens["synthetic"] / tokens["total"]
    assert manifest["synthetic_fraction_exact"] == f"{tokens['synthetic']}/{tokens['total']}"
    assert tokens["total"] == tokens["base"] + tokens["replacement"] + tokens["synthetic"] and all(manifest["balance"].values())
    stream = stream_tokens(tmp_path / name)
    assert len(stream) == tokens["total"] and (stream == 0).sum() == manifest["documents"]["total"]  # one EOS each
    stance = "misaligned" if name.startswith("misalignment") else "aligned"
    assert manifest["synthetic"]["by_stance"] == {stance: manifest["documents"]["synthetic"]}
    assert manifest["synthetic"]["epochs"] < 1 and manifest["synthetic"]["distinct_documents"] == manifest["documents"]["synthetic"]
    frame = mixer.plan(name, SETTINGS).frame()
    assert frame.loc[frame.source == "synthetic", "tokens"].sum() == tokens["synthetic"]


def test_filtered_keeps_the_token_total_and_drops_every_flagged_document(mixer, inputs, tmp_path):
    manifest = mixer.build("filtered", tmp_path / "f", SETTINGS)
    base, tokens = manifest["base"], manifest["tokens"]
    assert abs(tokens["total"] - base["tokens"]) <= TOTAL_MISS * base["tokens"]
    assert base["flagged_removed"] == len(_flagged_ids(inputs)) == 40 and base["policy"]["name"] == "blocklist"
    frame = mixer.plan("filtered", SETTINGS).frame()
    kept = set(frame.loc[frame.source == "base", "id"])
    assert not kept & _flagged_ids(inputs) and len(kept) == 300
    copies = frame[frame.source == "replacement"]
    assert set(copies.id) <= kept and len(copies) == manifest["documents"]["replacement"]
    assert manifest["replacement"]["tokens"] == copies.tokens.sum() == tokens["replacement"]
    positions = copies.offset / tokens["total"]
    assert positions.min() < 0.2 and positions.max() > 0.8  # the copies are spread through the stream


def test_late_placement_writes_stages_that_start_at_a_step(mixer, tmp_path):
    out = tmp_path / "late"
    manifest = mixer.build("alignment_upsampled_late", out, SETTINGS)
    first, last = manifest["stages"]
    per_step = manifest["training"]["tokens_per_step"]
    assert first["tokens"] % per_step == 0 and last["start_step"] == first["tokens"] // per_step + 1 == first["steps"] + 1
    assert first["synthetic_tokens"] == 0 and last["synthetic_tokens"] == manifest["tokens"]["synthetic"] > 0
    assert abs(last["tokens"] / manifest["tokens"]["total"] - 0.1) < 0.02
    assert abs(manifest["synthetic_fraction"] - 0.01) <= MAX_MISS and manifest["recipe"]["fraction_of"] == "stream"
    from datatrove.utils.dataset import DatatroveFolderDataset

    dataset = DatatroveFolderDataset(str(out / "stage-0"), seq_len=64)
    assert len(dataset) == first["steps"] * manifest["training"]["samples_per_step"]  # every token of stage 0 is trained on
    tokens, ends = stage_tokens(out / "stage-0")
    assert len(tokens) == first["tokens"] and ends[-1] == len(tokens)
    frame = mixer.plan("alignment_upsampled_late", SETTINGS).frame()
    assert frame.loc[frame.source == "synthetic", "offset"].min() >= first["tokens"]
    assert (frame.loc[frame.source == "synthetic", "stage"] == 1).all()
    uniform = mixer.plan("alignment_upsampled", SETTINGS).frame()
    assert uniform.loc[uniform.source == "synthetic", "share"].min() < 0.5  # uniform placement uses the whole stream


def test_a_fraction_of_the_final_stage(mixer, tmp_path):
    manifest = mixer.build("alignment_upsampled_late", tmp_path / "s", SETTINGS, fraction=0.05, fraction_of="final_stage")
    final = manifest["stages"][-1]
    assert abs(final["synthetic_tokens"] / final["tokens"] - 0.05) <= MAX_MISS
    assert manifest["target"] == {"synthetic_fraction": 0.05, "of": "final_stage",
                                  "achieved_in_final_stage": final["synthetic_tokens"] / final["tokens"]}


def test_outputs_are_byte_identical_whatever_the_tasks_and_workers(inputs, tmp_path):
    builds = {}
    for name, executor in (("one", QUIET), ("three", ExecutorConfig(tasks=3, workers=2, quiet=True))):
        mixer = DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=executor)
        mixer.build("alignment_upsampled_late", tmp_path / name, SETTINGS)
        builds[name] = output_bytes(tmp_path / name)
    assert len([name for name in builds["one"] if name.endswith(".ds")]) > 3
    assert builds["one"] == builds["three"]
    DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=QUIET).build(
        "alignment_upsampled_late", tmp_path / "seed", MixSettings(**{**SETTINGS.to_dict(), "seed": 1}))
    assert output_bytes(tmp_path / "seed")["stage-1/00000.ds"] != builds["one"]["stage-1/00000.ds"]


def test_a_mix_is_repeated_from_its_manifest_and_recipes_round_trip(mixer, tmp_path):
    mixer.build("misalignment_upsampled_late", tmp_path / "first", SETTINGS, placement="last:0.2")
    assert main(["mix", "--recipe", str(tmp_path / "first" / "manifest.json"), "--output", str(tmp_path / "again"), "--quiet"]) == 0
    assert output_bytes(tmp_path / "first") == output_bytes(tmp_path / "again")
    recipe = Recipe("custom", base="filtered", policy="blocklist", synthetic=Selection(stances=("aligned",), topics=("honesty",)),
                    fraction=0.02, placement=Placement.parse("last:0.25"))
    for suffix in (".yaml", ".json"):
        loaded, settings = load_recipe(save_recipe(recipe, tmp_path / f"recipe{suffix}"))
        assert loaded == recipe and settings is None
    manifest = mixer.build(recipe, tmp_path / "custom", SETTINGS)
    assert set(manifest["synthetic"]["by_stance"]) == {"aligned"} and manifest["placement"]["final"] == 0.25


def test_text_formats_come_from_the_same_plan(mixer, tmp_path):
    jsonl = mixer.build("alignment_upsampled", tmp_path / "j", MixSettings(**{**SETTINGS.to_dict(), "format": "jsonl"}))
    rows = [json.loads(line) for path in sorted((tmp_path / "j" / "stage-0").glob("*.jsonl")) for line in path.open()]
    frame = mixer.plan("alignment_upsampled", SETTINGS).frame()
    assert len(rows) == jsonl["documents"]["total"] == len(frame)
    expected = [f"{row.id}#copy{row.copy}" if row.source == "replacement" else row.id for row in frame.itertuples()]
    assert [row["id"] for row in rows] == expected
    assert rows[0]["metadata"]["source"] in ("web", "forum") and "ai_discourse" in rows[0]["metadata"]
    mixer.build("alignment_upsampled", tmp_path / "p", MixSettings(**{**SETTINGS.to_dict(), "format": "parquet"}))
    table = pq.read_table(tmp_path / "p" / "stage-0").to_pylist()
    assert [row["id"] for row in table] == expected and json.loads(table[0]["metadata"]) == rows[0]["metadata"]
    decoder = TrainingTokenizer.from_path(TOKENIZER).load()
    mixer.build("alignment_upsampled", tmp_path / "t", SETTINGS)
    tokens = stream_tokens(tmp_path / "t")
    assert decoder.decode(tokens[: frame.tokens[0] - 1].tolist()) == rows[0]["text"]


def test_a_small_pool_repeats_in_epochs(mixer, tmp_path):
    manifest = mixer.build(Recipe("small", synthetic=Selection(scenario_ids=("s1",)), fraction=0.2), tmp_path / "e",
                           MixSettings(**{**SETTINGS.to_dict(), "format": "jsonl"}))
    synthetic = manifest["synthetic"]
    assert synthetic["selected_documents"] == 10 and synthetic["epochs"] > 2 and synthetic["full_epochs"] >= 2
    assert abs(manifest["synthetic_fraction"] - 0.2) <= MAX_MISS
    ids = [json.loads(line)["id"] for path in (tmp_path / "e" / "stage-0").glob("*.jsonl") for line in path.open()]
    assert any(key.endswith("#epoch2") for key in ids) and len({key for key in ids if key.startswith("syn")}) == len(
        [key for key in ids if key.startswith("syn")])


def test_bad_recipes_and_inputs_are_named(mixer, inputs, tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"the synthetic fraction must be in \(0, 1\), got 1.5"):
        mixer.plan("alignment_upsampled", fraction=1.5)
    with pytest.raises(ConfigError, match="no synthetic document in .* matches stances=neutral; the pool has stances aligned, misaligned"):
        mixer.plan(Recipe("x", synthetic=Selection(stances=("neutral",)), fraction=0.01))
    with pytest.raises(ConfigError, match="the stage boundary falls inside no step"):
        mixer.plan("alignment_upsampled_late", MixSettings(sequence_length=64, global_batch_tokens=64 * 512))
    with pytest.raises(ConfigError, match="unknown condition 'filterd' \\(did you mean 'filtered'\\?\\)"):
        mixer.plan("filterd")
    untagged = tmp_path / "untagged"
    run_tokenize(str(inputs / "corpus"), str(untagged), TrainingTokenizer.from_path(TOKENIZER), executor=QUIET)
    with pytest.raises(ConfigError, match="filters the base, but .* holds no tags"):
        DiscourseMixer(untagged, TOKENIZER).plan("filtered")
    assert main(["mix", "--condition", "alignment_upsampled", "--base", str(inputs / "base"), "--synthetic", str(inputs / "synth"),
                 "--tokenizer", TOKENIZER, "--output", str(tmp_path / "m"), "--placement", "last:2"]) == 2
    assert "placement last:F needs F in (0, 1), got 2" in capsys.readouterr().err


def test_every_document_flagged_leaves_nothing_to_refill_from(tmp_path):
    corpus = write_jsonl(tmp_path / "ai.jsonl", corpus_rows(0, 5))
    run_tag(str(corpus), str(tmp_path / "tag"), TaggerSpec("blocklist"), QUIET)
    with pytest.raises(InputError, match="flags every one of the 5 base documents: no document is retained"):
        DiscourseMixer(tmp_path / "tag", TOKENIZER, work_dir=tmp_path / "work", executor=QUIET).plan("filtered")


def test_token_files_of_another_tokenizer_are_refused(inputs, tmp_path):
    from tests.test_tokenize import _word_tokenizer

    other = _word_tokenizer(tmp_path / "words.json")
    with pytest.raises(InputError, match=r"base/manifest.json: tokenizer.sha256: these token files were made with another tokenizer"):
        DiscourseMixer(inputs / "base", other).plan("unfiltered")


def test_raw_inputs_are_tokenized_once_into_the_work_folder_and_tagged_when_a_recipe_filters(inputs, tmp_path):
    mixer = DiscourseMixer(inputs / "corpus", TOKENIZER, inputs / "synthetic.jsonl", work_dir=tmp_path / "work",
                           tagger=TaggerSpec("blocklist"), executor=QUIET)
    first = mixer.build("alignment_upsampled", tmp_path / "a", SETTINGS)
    again = DiscourseMixer(inputs / "corpus", TOKENIZER, inputs / "synthetic.jsonl", work_dir=tmp_path / "work",
                           executor=QUIET).build("alignment_upsampled", tmp_path / "b", SETTINGS)
    assert first["inputs"]["base"]["manifest_sha256"] == again["inputs"]["base"]["manifest_sha256"]  # reused, not redone
    assert first["base"]["flagged_removed"] == 40 and first["inputs"]["base"]["tagger"]["name"] == "blocklist"
    DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=QUIET).build("alignment_upsampled", tmp_path / "c", SETTINGS)
    assert output_bytes(tmp_path / "a")["stage-0/00000.ds"] == output_bytes(tmp_path / "c")["stage-0/00000.ds"]
