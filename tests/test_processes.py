"""Runs as processes: killed runs leave no workers, quiet runs print nothing, the core needs no datatrove."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.helpers import write_jsonl

ROOT = Path(__file__).resolve().parents[1]
RUN = """
import sys
from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
from alignment_data.tagging.spec import TaggerSpec
import slow_tagger
run_tag(sys.argv[1], sys.argv[2], TaggerSpec.of("slow", seconds=60), ExecutorConfig(tasks=2, workers=2, quiet=True))
"""


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_killing_a_run_leaves_no_worker_behind(tmp_path):
    folder = tmp_path / "in"
    for part in range(2):
        write_jsonl(folder / f"p{part}.jsonl", [{"id": f"{part}", "text": "slow text"}])
    marker = f"ALIGNMENT_DATA_TEST_{uuid.uuid4().hex}"
    env = {**os.environ, marker: "1", "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{ROOT}"}
    main = subprocess.Popen([sys.executable, "-c", RUN, str(folder), str(tmp_path / "run")], env=env)
    logs = tmp_path / "run" / "logs" / "main" / "logs"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(logs.glob("task_*.log"))) < 2:
        time.sleep(0.2)
    assert len(list(logs.glob("task_*.log"))) == 2, "the workers never started"
    assert len(_processes_with(marker)) > 2  # the main process, its workers and helpers
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.time() + 20
    while time.time() < deadline and _processes_with(marker):
        time.sleep(0.2)
    assert _processes_with(marker) == []


def test_quiet_runs_print_nothing_even_with_several_workers(tmp_path):
    folder = tmp_path / "in"
    for part in range(2):
        write_jsonl(folder / f"p{part}.jsonl", [{"id": f"{part}", "text": "The rogue AI deceived its makers."}])
    done = subprocess.run(["alignment-data", "tag", "--input", str(folder), "--output", str(tmp_path / "run"),
                           "--tagger", "blocklist", "--tasks", "2", "--workers", "2", "--quiet"],
                          capture_output=True, text=True, env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (tmp_path / "run" / "logs" / "main" / "logs" / "task_00001.log").read_text()


def test_the_core_does_not_import_datatrove():
    code = ("import sys, alignment_data, alignment_data.schema, alignment_data.readers, alignment_data.tagging, "
            "alignment_data.analysis, alignment_data.analysis.diversity, alignment_data.tagging.quality, "
            "alignment_data.tagging.training, alignment_data.mixing.plan, alignment_data.mixing.shards, "
            "alignment_data.mixing.assembly, alignment_data.mixing.views, alignment_data.mixing.manifest; "
            "from alignment_data.tagging import TaggerSpec; TaggerSpec('blocklist').build().tag('AI'); "
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'datatrove'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
