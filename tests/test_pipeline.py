"""End-to-end tag and filter runs on tiny corpora, through datatrove's local executor."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alignment_data.pipeline.recipes import ExecutorConfig, run_filter, run_tag
from alignment_data.schema import InputError
from alignment_data.tagging.factory import TaggerSpec
from tests.conftest import write_jsonl

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
    summary = run_filter(str(corpus), str(out), BLOCKLIST, ExecutorConfig(quiet=True), seed=3)
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
    assert all(row["id"].split("#copy")[0] == row["metadata"]["replacement"]["copy_of"] for row in copies)
    assert all(row["metadata"]["replacement"]["copy_of"] in {"web1", "web2", "web3"} for row in copies)
    assert json.loads((out / "summary.json").read_text())["read"] == 7


def test_replacements_are_deterministic_for_a_seed(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS * 1)
    ids = []
    for name in ("a", "b"):
        run_filter(str(corpus), str(tmp_path / name), BLOCKLIST, ExecutorConfig(quiet=True), seed=7)
        ids.append([row["id"] for row in _read(tmp_path / name / "replacements")])
    assert ids[0] == ids[1]


def test_no_replace_writes_no_replacements(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", DOCS)
    summary = run_filter(str(corpus), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(quiet=True), replace=False)
    assert "replacements" not in summary and not (tmp_path / "run" / "replacements").exists()


def test_tag_annotates_everything_across_tasks_and_formats(tmp_path):
    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl.gz", DOCS[:3])
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["A robot kills.", None]}), folder / "b.parquet")
    data = gzip.compress(b"".join(json.dumps({"id": f"t{i}", "text": f"doc {i} " * 50}).encode() + b"\n" for i in range(50)))
    (folder / "c.jsonl.gz").write_bytes(data[: len(data) // 2])
    summary = run_tag(str(folder), str(tmp_path / "run"), BLOCKLIST, ExecutorConfig(tasks=2, workers=1, quiet=True),
                      output_format="parquet")
    assert summary["tasks_reported"] == 2 and summary["balanced"]
    assert summary["rejected_by_reason"]["text_not_a_string"] == 1
    assert summary["rejected_by_reason"]["truncated_file"] == 1
    tagged = pq.read_table(tmp_path / "run" / "tagged").to_pylist()
    assert len(tagged) == summary["kept"] + summary["flagged"]
    by_id = {row["id"]: json.loads(row["metadata"]) for row in tagged}
    assert by_id["p1"]["ai_discourse"]["reasons"] == ["intelligent_entities", "negative_verbs"]


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
    spec = TaggerSpec("cascade", model=str(tiny_model), stages=("fasttext",))
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
    with pytest.raises(ValueError, match="unknown executor 'kubernetes'"):
        ExecutorConfig("kubernetes")
