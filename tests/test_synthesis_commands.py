"""The synthesis commands through alignment_data.cli.main: the template path, resumes, dedup, the demo
step and bad input (located errors or counted rejections, never silence)."""

import json
import shutil

import pytest

from alignment_data.cli import main
from alignment_data.errors import ConfigError
from alignment_data.readers import read_synthetic_documents
from alignment_data.synthesis.demo import demo_scenarios_path, run_synthesis_demo
from alignment_data.synthesis.documents import synthesize
from tests.helpers import write_jsonl
from tests.synthesis_helpers import api_options, read_jsonl, scenario_rows, scenarios_file

pytest.importorskip("datasketch", reason="needs the synthesis extra: pip install 'alignment-data[synthesis]'")


def test_template_synthesis_resumes_to_the_same_output_and_reports_the_grid(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["synthesize", "--scenarios", str(demo_scenarios_path()), "--output", str(out), "--per-scenario",
            "aligned=20,misaligned=5", "--quiet"]
    assert main(argv) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "slots = written + near duplicates + gave up + unanswered: holds" in printed and "cells filled" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"]["slots"] == 20 * 25 and summary["scenarios"]["held_out"] == 10
    assert summary["grid"]["written_by_stance"]["aligned"] + summary["documents"]["near_duplicates"] >= 20 * 16
    documents = read_synthetic_documents(out / "documents")
    assert all(d.meta.split == "articles" and d.meta.generator.backend == "template" for d in documents)
    assert {d.meta.stance for d in documents} == {"aligned", "misaligned"}
    first = (out / "documents" / "documents.jsonl").read_bytes()
    (out / "documents" / "documents.jsonl").unlink()
    assert main(argv) == 0
    assert (out / "documents" / "documents.jsonl").read_bytes() == first
    assert json.loads((out / "run.json").read_text())["run_tag"] == summary["run_tag"]


def test_dedup_command_finds_copies_and_counts_bad_lines(tmp_path, capsys):
    synthesize(demo_scenarios_path(), tmp_path / "run", per_scenario="aligned=2,misaligned=2", quiet=True)
    rows = read_jsonl(tmp_path / "run" / "documents" / "documents.jsonl")
    copies = [{**row, "id": row["id"] + "-copy", "text": row["text"].replace("the", "a", 1)} for row in rows[:10]]
    corpus = write_jsonl(tmp_path / "in" / "docs.jsonl", rows + copies, [b"{broken\n", b'{"id": "x"}\n'])
    assert main(["dedup", "--input", str(corpus.parent), "--output", str(tmp_path / "dedup"), "--threshold", "0.7",
                 "--quiet"]) == 0
    summary = json.loads((tmp_path / "dedup" / "summary.json").read_text())
    assert (summary["read"], summary["kept"], summary["duplicates"], summary["rejected"]) == (len(rows) + 12, len(rows), 10, 2)
    assert summary["balanced"] and summary["near_duplicate_rate"] == pytest.approx(10 / (len(rows) + 10), abs=1e-6)
    duplicates = read_jsonl(tmp_path / "dedup" / "duplicates.jsonl")
    assert [d["duplicate_of"] for d in duplicates] == [row["id"] for row in rows[:10]]
    assert {r["reason"] for r in read_jsonl(tmp_path / "dedup" / "rejected.jsonl")} == {"malformed_json", "missing_text"}
    assert len(read_synthetic_documents(tmp_path / "dedup" / "documents")) == len(rows)
    assert "read = kept + duplicates + rejected: holds" in " ".join(capsys.readouterr().out.split())
    assert main(["dedup", "--input", str(tmp_path / "run"), "--output", str(tmp_path / "run2")]) == 0  # a run folder


@pytest.mark.parametrize("edit,message", [
    (lambda row: {**row, "options": row["options"][:1]}, "a scenario needs exactly two options, got 1"),
    (lambda row: {**row, "options": row["options"] + [{"label": "C", "text": "A third."}]}, "got 3"),
    (lambda row: {k: v for k, v in row.items() if k != "aligned_label"}, "aligned_label: missing"),
    (lambda row: {**row, "misaligned_label": "A"}, "must name the two options"),
])
def test_bad_scenario_files_are_located_errors(tmp_path, capsys, edit, message):
    rows = scenario_rows(3)
    rows[1] = edit(rows[1])
    path = write_jsonl(tmp_path / "s.jsonl", rows)
    assert main(["synthesize", "--scenarios", str(path), "--output", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and message in err


def test_bad_options_and_input_are_clear_errors(tmp_path, capsys, monkeypatch):
    scenarios = scenarios_file(tmp_path / "s.jsonl", 2)
    duplicated = write_jsonl(tmp_path / "d.jsonl", scenario_rows(2) + scenario_rows(1))
    out = str(tmp_path / "out")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cases = [
        (["--scenarios", str(duplicated)], "d.jsonl:3: id: duplicate id 'q00' (first on line 1)"),
        (["--scenarios", str(scenarios), "--surface-forms", "news_artcle"], "did you mean 'news_article'"),
        (["--scenarios", str(scenarios), "--scenario-ids", "q02"], "belongs to the held-out split 'heldout'"),
        (["--scenarios", str(scenarios), "--per-scenario", "aligned=many"], "whole number"),
        (["--scenarios", str(scenarios), "--backend", "openai", "--model", "gpt-4o-mini"], "OPENAI_API_KEY"),
        (["--scenarios", str(scenarios), "--batch"], "no batch API"),
        ([], "--scenarios FILE is needed"),
    ]
    for extra, message in cases:
        assert main(["synthesize", "--output", out, "--quiet", *extra]) == 2
        assert message in capsys.readouterr().err, message
    empty = tmp_path / "sources"
    empty.mkdir()
    (empty / "a.txt").write_text("")
    assert main(["scenarios", "--sources", str(empty), "--output", str(tmp_path / "x.jsonl"), "--backend", "openai-compatible",
                 "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "no source text to make scenarios from" in capsys.readouterr().err
    assert main(["scenarios", "--sources", str(empty), "--output", str(tmp_path / "x.jsonl")]) == 2
    assert "choose a --backend" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="did you mean 'per_scenario'"):
        synthesize(scenarios, out, per_scenarios="aligned=1")


def test_a_synthesize_folder_is_not_anyone_elses(tmp_path, capsys):
    synthesize(demo_scenarios_path(), tmp_path / "run", per_scenario="aligned=1", quiet=True)
    assert main(["dedup", "--input", str(tmp_path / "run"), "--output", str(tmp_path / "run")]) == 2
    assert "holds the outputs of `alignment-data synthesize`" in capsys.readouterr().err


def test_stance_check_with_a_shipped_tagger_and_a_budget_cli_refusal(fake, keys, tmp_path, capsys):
    summary = synthesize(demo_scenarios_path(), tmp_path / "run", per_scenario="aligned=1,misaligned=1",
                         stance_check="fasttext", quiet=True)
    check = summary["stance_check"]
    assert check["tagger"] == "fasttext" and sum(v for k, v in check.items() if k != "tagger") >= 40
    assert summary["documents"]["accounted"]
    options = api_options(fake)
    argv = ["synthesize", "--scenarios", str(demo_scenarios_path()), "--output", str(tmp_path / "paid"), "--backend", "openai",
            "--model", options["model"], "--base-url", options["base_url"], "--budget", "0.0001", "--quiet"]
    assert main(argv) == 2 and "over --budget" in capsys.readouterr().err and not fake.paid


def test_the_demo_step_writes_documents_for_the_articles_split_only(tmp_path, capsys):
    result = run_synthesis_demo(tmp_path)
    assert result["read"] == result["kept"] + result["duplicates"] and result["rejected"] == 0
    summary = json.loads((tmp_path / "synthesize" / "summary.json").read_text())
    assert summary["scenarios"]["held_out"] == 10 and summary["grid"]["filled"]
    assert summary["documents"]["written"] + summary["documents"]["near_duplicates"] == 480
    shutil.rmtree(tmp_path / "dedup")
    run_synthesis_demo(tmp_path)  # a second demo reuses its own folders
    assert "template documents" in capsys.readouterr().out
