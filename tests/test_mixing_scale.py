"""At scale: a Ray run writes the same bytes as a local one, and memory stays flat from 1x to 10x the input."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alignment_data import DiscourseMixer
from alignment_data.mixing.keyed import key_hashes
from alignment_data.pipeline.recipes import ExecutorConfig
from tests.mixing_data import TOKENIZER, build_inputs, output_bytes
from tests.test_mixing import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return build_inputs(tmp_path_factory.mktemp("scale"))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ray's own placement-group arguments
def test_a_ray_run_writes_the_same_bytes_as_a_local_run(inputs, tmp_path):
    ray = pytest.importorskip("ray", reason="needs ray: pip install 'alignment-data[ray]'")
    local = DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=ExecutorConfig(quiet=True))
    local.build("alignment_upsampled_late", tmp_path / "local", SETTINGS)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = DiscourseMixer(inputs / "base", TOKENIZER, inputs / "synth", executor=ExecutorConfig("ray", tasks=4, workers=2))
        manifest = remote.build("alignment_upsampled_late", tmp_path / "ray", SETTINGS)
    finally:
        ray.shutdown()
    assert manifest["tokens"]["synthetic"] > 0
    assert output_bytes(tmp_path / "ray") == output_bytes(tmp_path / "local")


def _scaled(base: Path, folder: Path, copies: int) -> Path:
    """``base`` as ``copies`` parts with their own ids, keys and files (copies of its token and text files)."""
    manifest = json.loads((base / "manifest.json").read_text())
    for name in ("table", "tokens", "texts"):
        (folder / name).mkdir(parents=True)
    part = manifest["parts"][0]
    table = pq.read_table(base / part["table_file"])
    parts = []
    for copy in range(copies):
        files = {"token_file": f"tokens/{copy:05d}.ds", "texts_file": f"texts/{copy:05d}.jsonl"}
        for key, name in files.items():
            shutil.copyfile(base / part[key], folder / name)
        ids = [f"{key}~{copy}" for key in table.column("id").to_pylist()]
        renamed = table.set_column(0, "id", pa.array(ids)).set_column(1, "key_hash", pa.array(key_hashes(ids)))
        pq.write_table(renamed, folder / "table" / f"{copy:05d}.parquet")
        parts.append({**part, **files, "rank": copy, "table_file": f"table/{copy:05d}.parquet"})
    counts = {key: manifest[key] * copies for key in ("documents", "tokens", "tagged", "flagged", "read")}
    (folder / "manifest.json").write_text(json.dumps({**manifest, **counts, "parts": parts}))
    return folder


CHILD = """
import sys
from alignment_data import DiscourseMixer, MixSettings
from alignment_data.pipeline.recipes import ExecutorConfig
settings = MixSettings(sequence_length=64, global_batch_tokens=512)  # one file per stage: copies run long
DiscourseMixer(sys.argv[1], sys.argv[2], sys.argv[3], executor=ExecutorConfig(tasks=1, workers=1, quiet=True)).build(
    "alignment_upsampled", sys.argv[4], settings)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))  # peak, this process alone
"""


def test_memory_does_not_grow_with_the_corpus(inputs, tmp_path):
    peaks = {}
    for copies in (30, 300):
        folder = _scaled(inputs / "base", tmp_path / f"base{copies}", copies)
        done = subprocess.run([sys.executable, "-c", CHILD, str(folder), TOKENIZER, str(inputs / "synth"), str(tmp_path / f"mix{copies}")],
                              capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        peaks[copies] = int(done.stdout.split()[-1])
        manifest = json.loads((tmp_path / f"mix{copies}" / "manifest.json").read_text())
        assert manifest["base"]["documents"] == 340 * copies and manifest["tokens"]["replacement"] > 0
    tokens_mb = manifest["tokens"]["total"] * 2 / 1e6
    assert tokens_mb > 40  # ten times the input is tens of megabytes of tokens: held in memory, it would show
    assert abs(peaks[300] - peaks[30]) <= 0.10 * peaks[30], peaks
