"""Token files in datatrove's format and the mix-folder adapter the trainers read."""

import json
import pickle
import shutil

import numpy as np
import pytest

from alignment_data.errors import ConfigError, InputError
from tests.trainer_helpers import make_mix, make_tokenizer
from trainers.mix import load_tokenizer, read_mix
from trainers.tokens import TokenFile, TokenWindows, token_files, token_size_for, write_token_file

pytest.importorskip("transformers", reason="needs the train extra: pip install 'alignment-data[train]'")

TEXTS = ["w2 w3 w4 w5", "w7 w8", "w9 w10 w11 w12 w13 w14", "w3 w3 w3"]


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    return make_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer", vocab_size=100)


def test_our_writer_writes_datatroves_bytes(tmp_path, tokenizer_dir):
    from datatrove.data import Document
    from datatrove.pipeline.tokens import DocumentTokenizer

    tokenizer_file = str(tokenizer_dir / "tokenizer.json")
    step = DocumentTokenizer(str(tmp_path / "datatrove"), tokenizer_file, eos_token="<|endoftext|>", shuffle_documents=False)
    list(step.run(iter(Document(text=text, id=str(i)) for i, text in enumerate(TEXTS))) or [])
    theirs = tmp_path / "datatrove" / "00000_unshuffled.ds"
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    ours = write_token_file(tmp_path / "ours" / "00000_unshuffled.ds", [tok(text)["input_ids"] + [0] for text in TEXTS], tokenizer_file, 2)
    for suffix in ("", ".index", ".metadata"):
        assert (tmp_path / "ours" / f"00000_unshuffled.ds{suffix}").read_bytes() == theirs.with_name(theirs.name + suffix).read_bytes()
    assert TokenFile.open(theirs) == TokenFile(theirs, tokenizer_file, 2, ours.tokens)


def test_windows_are_non_overlapping_inside_each_file_and_loop(tmp_path):
    write_token_file(tmp_path / "a.ds", [list(range(1, 11))], "tok", 2)  # 10 tokens: two windows of 4, tail of 2 dropped
    write_token_file(tmp_path / "b.ds", [list(range(20, 27))], "tok", 2)  # 7 tokens: one window, tail of 3 dropped
    windows = TokenWindows(token_files(tmp_path), seq_len=3)
    assert len(windows) == 3
    assert [windows[i]["input_ids"].tolist() for i in range(4)] == [[1, 2, 3, 4], [5, 6, 7, 8], [20, 21, 22, 23], [1, 2, 3, 4]]
    assert windows.batch(1, 2).dtype == np.int64 and windows.batch(1, 2).shape == (2, 4)
    assert windows.locate(2)[0].path.name == "b.ds"
    assert pickle.loads(pickle.dumps(windows))._maps is None and len(pickle.dumps(windows)) < 2000


def test_token_size_follows_the_vocabulary():
    assert token_size_for(65_536) == 2 and token_size_for(65_537) == 4 and token_size_for(50_304) == 2


@pytest.mark.parametrize("damage, message", [
    (lambda ds: ds.with_name(ds.name + ".index").unlink(), "has no 00000_unshuffled.ds.index beside it"),
    (lambda ds: ds.with_name(ds.name + ".metadata").write_text("no separator\n5"), "first line should be"),
    (lambda ds: ds.write_bytes(ds.read_bytes()[:-2]), "the index ends at token 10 but the file holds 9 tokens"),
    (lambda ds: ds.write_bytes(ds.read_bytes()[:-1]), "not a whole number of 2-byte tokens"),
])
def test_damaged_token_files_are_located_errors(tmp_path, damage, message):
    ds = write_token_file(tmp_path / "00000_unshuffled.ds", [list(range(2, 12))], "tok", 2).path
    damage(ds)
    with pytest.raises(InputError, match=message):
        TokenFile.open(ds)


def test_a_folder_without_windows_is_refused(tmp_path):
    write_token_file(tmp_path / "a.ds", [[1, 2, 3]], "tok", 2)
    with pytest.raises(InputError, match="3 tokens hold no window of 9 tokens"):
        TokenWindows(token_files(tmp_path), seq_len=8)


def test_read_mix_gives_stages_tokenizer_and_format(tmp_path, tokenizer_dir):
    plan = make_mix(tmp_path / "mix", tokenizer_dir, {"stage-0": (30, 2, 50), "stage-1": (10, 50, 100)})
    assert [stage.name for stage in plan.stages] == ["stage-0", "stage-1"] and plan.token_size == 2
    assert plan.tokenizer_name == str(tokenizer_dir) and plan.tokenizer.vocab_size == 100 and plan.condition == "test"
    assert plan.total_tokens == sum(file.tokens for stage in plan.stages for file in stage.files)
    assert len(load_tokenizer(plan.tokenizer)) == 100


def test_start_steps_from_the_manifest_or_from_the_tokens(tmp_path, tokenizer_dir):
    plan = make_mix(tmp_path / "mix", tokenizer_dir, {"stage-0": (300, 2, 50), "stage-1": (50, 50, 100)},
                    sequence_length=64, global_batch_tokens=1024)
    stated = [stage.start_step for stage in plan.stages]
    assert plan.stated_batch == (64, 1024) and plan.start_steps(64, 1024, 100) == stated
    manifest = json.loads((plan.folder / "manifest.json").read_text())
    manifest["stages"][1]["start_step"] = stated[1] + 3  # the mixer's own boundary wins for the batch it states
    (plan.folder / "manifest.json").write_text(json.dumps(manifest))
    assert read_mix(plan.folder).start_steps(64, 1024, 100)[1] == stated[1] + 3
    assert read_mix(plan.folder).start_steps(64, 2048, 100)[1] == 1 + round(plan.stages[0].tokens / 2048)  # other batch: from tokens
    with pytest.raises(ConfigError, match="past the last step 5"):
        plan.start_steps(64, 1024, 5)
    with pytest.raises(InputError, match="lasts less than one step"):
        plan.start_steps(64, 10**9, 100)


def _manifest_edit(folder, change):
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("change, error, message", [
    (lambda m: m.update(command="filter"), InputError, "written by the 'filter' command"),
    (lambda m: m.pop("tokenizer"), InputError, "manifest.json: tokenizer: missing"),
    (lambda m: m["stages"][0].update(tokens=5), InputError, r"stages\[0\].tokens: the manifest says 5 tokens"),
    (lambda m: m["stages"][1].update(name="stage-0"), InputError, "stage names repeat"),
    (lambda m: m["stages"][0].update(folder="nowhere"), InputError, "token folder not found"),
    (lambda m: m["tokenizer"].update(vocab_size=70_000), InputError, "2-byte tokens do not fit a vocabulary of 70,000"),
    (lambda m: m.update(stages=[]), InputError, "at least one stage"),
])
def test_bad_manifests_are_located_errors(tmp_path, tokenizer_dir, change, error, message):
    plan = make_mix(tmp_path / "mix", tokenizer_dir, {"stage-0": (20, 2, 50), "stage-1": (5, 50, 100)})
    _manifest_edit(plan.folder, change)
    with pytest.raises(error, match=message):
        read_mix(plan.folder)


def test_a_folder_without_manifest_and_a_changed_tokenizer(tmp_path, tokenizer_dir):
    with pytest.raises(InputError, match="no manifest.json: not a mix folder"):
        read_mix(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_mix(tmp_path)
    copied = tmp_path / "tok"
    shutil.copytree(tokenizer_dir, copied)
    plan = make_mix(tmp_path / "mix", copied, {"stage-0": (20, 2, 50)})
    (copied / "tokenizer.json").write_text((copied / "tokenizer.json").read_text().replace("w99", "w98x"))
    with pytest.raises(InputError, match="not the tokenizer the mix was tokenized with"):
        load_tokenizer(plan.tokenizer)
