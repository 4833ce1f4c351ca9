"""The commands, run in-process through alignment_data.cli.main."""

import json
import re
import sys

import pytest

from alignment_data.cli import main
from tests.helpers import TRAIN_TEXTS, requires_semantic, write_jsonl


@pytest.fixture()
def labelled(tmp_path):
    rows = [{"id": f"{label}-{i}", "text": text, "label": label, "split": "test" if i % 2 else "train"}
            for label, texts in TRAIN_TEXTS.items() for i, text in enumerate(texts)]
    return write_jsonl(tmp_path / "labelled.jsonl", rows)


def test_tag_eval_prints_one_json_object(labelled, capsys):
    assert main(["tag-eval", "--labels", str(labelled), "--tagger", "blocklist", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 24 and set(report["flagged_rate"]) == set(TRAIN_TEXTS)
    assert report["flagged_rate"]["not_ai"] == 0.0 and "confusion" not in report


def test_tag_eval_with_labels_and_a_split(labelled, tiny_model, capsys):
    argv = ["tag-eval", "--labels", str(labelled), "--split", "test", "--tagger", "cascade", "--stages", "fasttext",
            "--model", str(tiny_model), "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 12 and report["split"] == "test"
    assert set(report["confusion"]) == set(TRAIN_TEXTS) and "per_label" in report
    assert report["stages"]["blocklist"]["seen"] == 12


def test_bad_labelled_file_is_reported_with_its_location(tmp_path, capsys):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": "a", "text": "x", "label": "not_ai"}, {"id": "b", "text": "y", "label": "nice"}])
    assert main(["tag-eval", "--labels", str(path), "--tagger", "blocklist"]) == 2
    assert "bad.jsonl:2: label: unknown label 'nice'" in capsys.readouterr().err


def test_filter_and_analyze_commands(tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "a", "text": "The rogue AI deceived its makers.", "source": "forum"},
        {"id": "b", "text": "Bread, butter and jam.", "source": "web"},
    ], [b"{broken\n"])
    terms = tmp_path / "ai_labs.txt"
    terms.write_text("# rule: instant\n# mode: add\nbread\n")
    run = tmp_path / "run"
    argv = ["filter", "--input", str(corpus), "--output", str(run), "--tagger", "blocklist", "--terms", str(terms), "--quiet"]
    assert main(argv) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["read"], summary["kept"], summary["flagged"], summary["rejected"]) == (3, 0, 2, 1)
    assert summary["replacements"]["unreplaced"] == 2  # nothing was kept to copy from
    assert "read = kept + flagged + rejected: holds" in capsys.readouterr().out
    assert main(["analyze", "--input", str(run / "flagged"), "--output", str(tmp_path / "analysis")]) == 0
    assert (tmp_path / "analysis" / "top_terms.png").is_file()
    assert main(argv) == 2
    assert "output folder is not empty" in capsys.readouterr().err


def test_train_commands(labelled, tiny_encoder, tmp_path, capsys):
    model = tmp_path / "m.bin"
    argv = ["train-fasttext", "--labels", str(labelled), "--train-split", "train", "--valid", str(labelled),
            "--valid-split", "test", "--output", str(model), "--dim", "8", "--bucket", "1000", "--min-count", "1"]
    assert main(argv) == 0
    assert set(json.loads(model.with_suffix(".json").read_text())["thresholds"]) == {"misaligned", "ai"}
    head = tmp_path / "head.json"
    argv = ["train-embedding", "--labels", str(labelled), "--output", str(head), "--encoder", tiny_encoder, "--chunk-words", "20"]
    assert main(argv) == 0
    assert json.loads(head.read_text())["chunk_words"] == 20
    assert "trained on 24 documents" in capsys.readouterr().out


def test_diversity_command(tmp_path, tiny_encoder):
    rows = [{"id": str(i), "text": text, "scenario_id": f"q{i % 3}", "stance": "aligned", "surface_form": "news"}
            for i, text in enumerate(TRAIN_TEXTS["ai_aligned"])]
    path = write_jsonl(tmp_path / "s.jsonl", rows)
    assert main(["diversity", "--input", str(path), "--output", str(tmp_path / "d"), "--encoder", tiny_encoder]) == 0
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["documents_analysed"] == 6 and summary["scenarios"] == 3 and summary["scenarios_missing_a_stance"] == 3


def test_missing_semantic_extra_gives_the_install_command(labelled, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    assert main(["tag-eval", "--labels", str(labelled), "--tagger", "embedding"]) == 2
    assert "pip install 'alignment-data[semantic]'" in capsys.readouterr().err
    from alignment_data.tagging.cascade import default_stages

    assert default_stages() == ("fasttext",)


@requires_semantic
def test_demo_tags_once_and_filters_from_its_tags(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--output", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    read, kept, flagged = map(int, re.search(r"read (\d+) = kept (\d+) \+ flagged (\d+) \+ rejected 3", printed).groups())
    assert read == kept + flagged + 3
    tagged = json.loads((out / "tag" / "summary.json").read_text())
    from alignment_data.tagging.cascade import default_stages

    assert "embedding" in default_stages()  # the semantic extra is installed, so the encoder is part of it
    assert set(tagged["stages"]) == {"blocklist", *default_stages()}
    assert tagged["stages"]["embedding"]["chunks"] >= tagged["stages"]["embedding"]["seen"]
    summary = json.loads((out / "filter" / "summary.json").read_text())
    assert summary["from_tags"] == str(out / "tag") and summary["tag_run"]["rejected"] == 3
    assert summary["balanced"] and summary["replacements"]["written"] == summary["flagged"] == tagged["flagged"]
    assert not (out / "filter" / "counts" / "00000.stages.json").exists()  # no tagger ran
    assert (out / "analysis" / "reasons.png").is_file()
    for name in ("unfiltered", "filtered", "misalignment_upsampled", "alignment_upsampled", "alignment_upsampled_late"):
        manifest = json.loads((out / "mix" / name / "manifest.json").read_text())
        assert manifest["condition"] == name and all(manifest["balance"].values()) and name[:12] in printed
    assert manifest["base"]["flagged_removed"] == summary["flagged"]  # the mix decides from the same stored tags
    assert (out / "mix" / "alignment_upsampled_late" / "synthetic_placement.png").is_file()


def test_demo_reuses_only_its_own_folder(tmp_path):
    from alignment_data.demo import _prepare
    from alignment_data.errors import InputError

    out = tmp_path / "demo"
    _prepare(out, resume=False)
    (out / "filter").mkdir()
    (out / "filter" / "old.json").write_text("{}")
    _prepare(out, resume=False)  # a folder the demo made: its old outputs are cleared
    assert not (out / "filter").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="was not made by the demo"):
        _prepare(foreign, resume=False)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_unknown_taggers_and_stray_flags_are_named(labelled, capsys):
    assert main(["tag-eval", "--labels", str(labelled), "--tagger", "fastext"]) == 2
    assert "unknown tagger 'fastext' (did you mean 'fasttext'?)" in capsys.readouterr().err
    assert main(["tag-eval", "--labels", str(labelled), "--tagger", "blocklist", "--head", "h.json"]) == 2
    assert "--head does not apply to the blocklist tagger (its options: --terms)" in capsys.readouterr().err
    assert main(["tag-eval", "--labels", str(labelled), "--tagger", "fasttext", "--policy", "blocklist"]) == 2
    assert "policy 'blocklist' does not apply to the fasttext tagger" in capsys.readouterr().err


def test_executor_options_are_typed(tmp_path):
    from alignment_data.cli import _executor, build_parser

    args = build_parser().parse_args(["tag", "--input", "x", "--output", "y", "--executor-option", "skip_completed=False",
                                      "--executor-option", "time=12:00:00", "--executor-option", "mem_per_cpu_gb=2.5",
                                      "--executor-option", "cpus_per_task=4", "--tasks", "3"])
    executor = _executor(args)
    assert executor.options == {"skip_completed": False, "time": "12:00:00", "mem_per_cpu_gb": 2.5, "cpus_per_task": 4}
    assert executor.tasks == 3 and executor.kind == "local"
    assert main(["tag", "--input", "x", "--output", "y", "--executor-option", "novalue"]) == 2


def test_filter_from_tags_and_analyze_keep_their_outputs_apart(tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "The rogue AI deceived its makers."},
                                                 {"id": "b", "text": "Bread, butter and jam."}])
    run = tmp_path / "tag"
    assert main(["tag", "--input", str(corpus), "--output", str(run), "--tagger", "blocklist", "--quiet"]) == 0
    assert main(["filter", "--from-tags", str(run), "--output", str(tmp_path / "f"), "--quiet"]) == 0
    assert json.loads((tmp_path / "f" / "summary.json").read_text())["flagged"] == 1
    assert main(["filter", "--from-tags", str(run), "--output", str(tmp_path / "g"), "--model", "m.bin"]) == 2
    assert "only --policy and --threshold apply" in capsys.readouterr().err
    before = (run / "summary.json").read_text()
    assert main(["analyze", "--input", str(run / "tagged"), "--output", str(run)]) == 2
    assert "holds the outputs of `alignment-data tag`" in capsys.readouterr().err
    assert (run / "summary.json").read_text() == before


def test_bugs_keep_their_traceback_and_errors_are_never_empty(monkeypatch, capsys):
    import alignment_data.cli as cli
    from alignment_data.errors import InputError

    def broken(args):
        raise ValueError("a bug")

    monkeypatch.setattr(cli, "cmd_summarize", broken)
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["summarize", "nowhere"])
    assert str(InputError("")) == "invalid input"
