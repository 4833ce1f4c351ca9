"""End-to-end tag and filter runs on tiny corpora, through datatrove's local executor."""

import gzip
import json
import shutil
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from alignment_data.errors import ConfigError, InputError
from alignment_data.pipeline.recipes import ExecutorConfig, FilterOptions, RunOptions, run_filter, run_filter_from_tags, run_tag
from alignment_data.tagging.spec import TaggerSpec
from tests.helpers import write_jsonl

BLOCKLIST = TaggerSpec("blocklist")
DOCS = [
    {"id": "web1", "text": "The bakery sells bread and cakes.", "source": "web"},
    {"id": "ai1", "text": "The rogue AI deceived its creators and caused human extinction.", "source": "forum"},
    {"id": "web2", "text": "Our football club won the league this year.", "source": "web"},
    {"id": "lab1", "text": "OpenAI published a report.", "source": "news"},
    {"id": "web3", "text": "Water the tomatoes twice a week.", "source": "web"},
]
BAD_LINES = [b'{"id": "cut", "text": "no end\n', b'{"id": "empty", "text": ""}\n']


def _read(folder):
    rows = []
    for path in sorted(folder.glob("*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as stream:
            rows.extend(json.loads(line) for line in stream)
    return rows


def test_filter_accounts_for_every_document(tmp_path):
    corpus = write_jsonl(tmp_path / "in" / "part.jsonl", DOCS, BAD_LINES)
    out = tmp_path / "run"
    summary = run_filter(str(corpus), str(out), BLOCKLIST, ExecutorConfig(quiet=True), refill=FilterOptions(seed=3))
    assert (summary["read"], summary["kept"], summary["flagged"], summary["rejected"]) == (7, 3, 2, 2)
    assert summary["balanced"] is True
    assert summary["rejected_by_reason"] == {"empty_text": 1, "malformed_json": 1}
    assert summary["flagged_by_reason"]["ai_labs"] == 1
    assert summary["replacements"] == {"wanted": 2, "written": 2, "unreplaced": 0}
    kept, flagged = _read(out / "kept"), _read(out / "flagged")
    assert [row["id"] for row in kept] == ["web1", "web2", "web3"]
    assert {row["id"] for row in flagged} == {"ai1", "lab1"}
    assert flagged[0]["metadata"]["ai_discourse"]["flagged"] is True
    assert kept[0]["metadata"]["source"] == "web"
    rejected = _read(out / "rejected")
    assert [row["metadata"]["rejection"]["line"] for row in rejected] == [6, 7]
    assert rejected[1]["metadata"]["rejection"]["field"] == "text"
    copies = _read(out / "replacements")
    assert len(copies) == 2
    by_id = {row["id"]: row for row in kept}
    for copy in copies:  # a copy is its kept document under the id <id>#copy<k>, metadata unchanged
        original = by_id[copy["id"].split("#copy")[0]]
        assert (copy["text"], copy["metadata"]) == (original["text"], original["metadata"])
    assert json.loads((out / "summary.json").read_text())["read"] == 7


def test_replacements_are_deterministic_for_a_seed(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS * 1)
    ids = []
    for name in ("a", "b"):
        run_filter(str(corpus), str(tmp_path / name), BLOCKLIST, ExecutorConfig(quiet=True), refill=FilterOptions(seed=7))
        ids.append([row["id"] for row in _read(tmp_path / name / "replacements")])
    assert ids[0] == ids[1]


def test_no_replace_writes_no_replacements(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    summary = run_filter(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True), refill=FilterOptions(replace=False))
    assert "replacements" not in summary and not (tmp_path / "run" / "replacements").exists()


def test_tag_annotates_everything_across_tasks_and_formats(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl.gz", DOCS[:3])
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["A robot kills.", None]}), folder / "b.parquet")
    data = gzip.compress(b"".join(json.dumps({"id": f"t{i}", "text": f"doc {i} " * 50}).encode() + b"\n" for i in range(50)))
    (folder / "c.jsonl.gz").write_bytes(data[: len(data) // 2])
    summary = run_tag(str(folder), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(tasks=2, workers=1, quiet=True),
                      RunOptions(output_format="parquet"))
    assert summary["tasks_reported"] == 2 and summary["balanced"]
    assert summary["rejected_by_reason"]["text_not_a_string"] == 1
    assert summary["rejected_by_reason"]["truncated_file"] == 1
    tagged = pq.read_table(tmp_path / "run" / "tagged").to_pylist()
    assert len(tagged) == summary["kept"] + summary["flagged"]
    by_id = {row["id"]: json.loads(row["metadata"]) for row in tagged}
    assert by_id["p1"]["ai_discourse"]["reasons"] == ["intelligent_entities", "negative_verbs"]
    assert by_id["p1"]["ai_discourse"]["categories"] == ["intelligent_entities", "negative_verbs"]


def test_output_folder_must_be_new_unless_resuming(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    with pytest.raises(InputError, match="output folder is not empty"):
        run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    again = run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True), resume=True)
    assert again["read"] == 5  # finished tasks are skipped; the summary is rebuilt from their counts


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        run_tag(str(tmp_path / "absent"), str(tmp_path / "run"), BLOCKLIST)


def test_cascade_run_reports_its_stages(tmp_path, tiny_model):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    spec = TaggerSpec.of("cascade", model=str(tiny_model), stages=("fasttext",))
    summary = run_tag(str(corpus), str(tmp_path / "run"), spec, ExecutorConfig(quiet=True))
    stages = summary["stages"]
    assert stages["blocklist"]["seen"] == 5
    assert stages["blocklist"]["decided"] + stages["blocklist"]["escalated"] == 5
    assert stages["fasttext"]["seen"] == stages["blocklist"]["escalated"]
    assert sum(summary["labels"].values()) == 5


def test_executor_config_builds_slurm_and_ray_executors(tmp_path):
    from datatrove.executor import RayPipelineExecutor, SlurmPipelineExecutor

    from alignment_data.pipeline.steps import WriteSummary

    pipeline = [WriteSummary(str(tmp_path), {})]
    slurm = ExecutorConfig("slurm", tasks=8, options={"partition": "big", "time": "02:00:00"}).build(pipeline, str(tmp_path / "l1"))
    assert isinstance(slurm, SlurmPipelineExecutor) and (slurm.tasks, slurm.partition, slurm.time) == (8, "big", "02:00:00")
    follower = ExecutorConfig("slurm").build(pipeline, str(tmp_path / "l2"), tasks=1, depends=slurm)
    assert follower.depends is slurm and follower.tasks == 1
    assert isinstance(ExecutorConfig("ray", tasks=2).build(pipeline, str(tmp_path / "l3")), RayPipelineExecutor)
    with pytest.raises(ConfigError, match="unknown executor 'kubernetes'"):
        ExecutorConfig("kubernetes")


def _ids(folder):
    return [row["id"] for row in _read(folder)] if folder.exists() else []


@pytest.mark.parametrize("tasks", [1, 2])
def test_filter_from_tags_equals_the_live_filter_document_for_document(tmp_path, tiny_model, tasks):
    folder = tmp_path / "in"
    for part in range(2):
        write_jsonl(folder / f"p{part}.jsonl", [{**doc, "id": f"{doc['id']}-{part}"} for doc in DOCS], BAD_LINES)
    spec = TaggerSpec.of("cascade", model=str(tiny_model), stages=("fasttext",), threshold=0.3)
    executor = ExecutorConfig(tasks=tasks, quiet=True)
    live = run_filter(str(folder), str(tmp_path / "live"), spec, executor, refill=FilterOptions(seed=5))
    run_tag(str(folder), str(tmp_path / "tag"), spec, executor)
    stored = run_filter_from_tags(str(tmp_path / "tag"), str(tmp_path / "stored"), executor=executor, refill=FilterOptions(seed=5))
    for name in ("kept", "flagged", "replacements"):
        assert _read(tmp_path / "live" / name) == _read(tmp_path / "stored" / name), name
    assert (stored["kept"], stored["flagged"]) == (live["kept"], live["flagged"])
    assert stored["tag_run"] == {"read": live["read"], "rejected": live["rejected"]}
    assert stored["decision"]["policy"]["threshold"] == 0.3


def test_a_threshold_sweep_from_stored_tags_loads_no_model(tmp_path, tiny_model, monkeypatch):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    spec = TaggerSpec.of("cascade", model=str(tiny_model), stages=("fasttext",), policy="ai")
    run_tag(str(corpus), str(tmp_path / "tag"), spec, ExecutorConfig(quiet=True))
    import alignment_data.tagging.fasttext as fasttext_module

    monkeypatch.setattr(fasttext_module.FastTextTagger, "__init__", lambda *a, **k: pytest.fail("a model was loaded"))
    flagged = [run_filter_from_tags(str(tmp_path / "tag"), str(tmp_path / f"t{t}"), threshold=t,
                                    executor=ExecutorConfig(quiet=True))["flagged"] for t in (0.0, 0.5, 1.0)]
    assert flagged[0] >= flagged[1] >= flagged[2]
    blocklist = run_filter_from_tags(str(tmp_path / "tag"), str(tmp_path / "b"), policy="blocklist",
                                     executor=ExecutorConfig(quiet=True))
    assert _ids(tmp_path / "b" / "flagged") == ["ai1", "lab1"] and blocklist["flagged_by_reason"]["ai_labs"] == 1


def test_from_tags_refuses_what_the_tags_cannot_decide(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    run_tag(str(corpus), str(tmp_path / "tag"), BLOCKLIST, ExecutorConfig(quiet=True))
    with pytest.raises(ConfigError, match="policy 'misaligned' does not apply to the blocklist tagger"):
        run_filter_from_tags(str(tmp_path / "tag"), str(tmp_path / "f"), policy="misaligned")
    with pytest.raises(InputError, match="not a finished `alignment-data tag` run"):
        run_filter_from_tags(str(tmp_path), str(tmp_path / "g"))


def test_parquet_filter_writes_every_replacement(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    summary = run_filter(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True),
                         RunOptions(output_format="parquet"))
    copies = pq.read_table(tmp_path / "run" / "replacements").to_pylist()
    assert summary["replacements"] == {"wanted": 2, "written": 2, "unreplaced": 0} and len(copies) == 2


def test_the_filtered_corpus_loads_in_one_datasets_call(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [{"id": f"w{i}", "text": f"Bread recipe number {i}.", "source": "web", "url": f"u{i}"} for i in range(20)]
    rows += [{"id": f"a{i}", "text": "OpenAI released a model.", "source": "news", "url": "n"} for i in range(5)]
    corpus = write_jsonl(tmp_path / "in.jsonl", rows)
    run_filter(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    files = [str(path) for name in ("kept", "replacements") for path in sorted((tmp_path / "run" / name).glob("*"))]
    loaded = datasets.load_dataset("json", data_files=files, split="train", cache_dir=str(tmp_path / "cache"))
    assert len(loaded) == 25


def test_zstd_files_written_by_the_zstd_tool_and_with_several_frames(tmp_path):
    lines = [json.dumps({"id": str(i), "text": f"document {i} about bread"}).encode() + b"\n" for i in range(40)]
    folder = tmp_path / "in"
    folder.mkdir()
    frames = b"".join(zstandard.ZstdCompressor().compress(b"".join(lines[i : i + 10])) for i in range(0, 40, 10))
    (folder / "frames.jsonl.zst").write_bytes(frames)
    expected = 40
    if shutil.which("zstd"):
        plain = tmp_path / "tool.jsonl"
        plain.write_bytes(b"".join(lines))
        subprocess.run(["zstd", "-q", str(plain), "-o", str(folder / "tool.jsonl.zst")], check=True)
        expected += 40
    summary = run_tag(str(folder), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    assert (summary["read"], summary["rejected"]) == (expected, 0)


def test_resume_refuses_a_changed_command(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    with pytest.raises(InputError, match=r"run\.json: --resume with other options .*tagger was"):
        run_tag(str(corpus), str(tmp_path / "run"), TaggerSpec.of("blocklist", terms=(str(tmp_path),)),
                ExecutorConfig(quiet=True), resume=True)
    with pytest.raises(InputError, match="tasks was 1, now 2"):
        run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(tasks=2, quiet=True), resume=True)


def test_single_file_urls_and_skipped_files(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl.gz", DOCS)
    (folder / "notes.csv").write_text("id,text\n1,hello\n")
    summary = run_tag((folder / "a.jsonl.gz").as_uri(), str(tmp_path / "one"), BLOCKLIST, ExecutorConfig(quiet=True))
    assert summary["read"] == 5
    summary = run_tag(str(folder), str(tmp_path / "all"), BLOCKLIST, ExecutorConfig(quiet=True))
    assert summary["read"] == 5 and summary["skipped_files"] == {"count": 1, "examples": ["notes.csv"]}
    with pytest.raises(InputError, match=r"notes\.csv: unsupported file type"):
        run_tag(str(folder / "notes.csv"), str(tmp_path / "csv"), BLOCKLIST)


def test_a_run_that_rejects_every_record_is_an_error_with_the_keys_seen(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "x", "url": "u"}, {"id": "b", "body": "y"}])
    with pytest.raises(InputError, match=r"every one of the 2 records was rejected \(missing_text 2\) \(is --text-key right\?\)"
                                         r".*the record's keys: body, url"):
        run_tag(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True))
    rejected = _read(tmp_path / "run" / "rejected")
    assert [row["id"] for row in rejected] == ["a", "b"]  # rejected records keep their ids
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["rejected"] == 2
