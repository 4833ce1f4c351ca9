"""The whole path's time on the bundled data, step by step, beside ``alignment-data demo`` in the same run.

``examples/whole_path.py`` (tag -> synthesize -> mix the four conditions -> train a toy
Llama per condition -> evaluate) runs in a fresh workspace in its own process; the baseline
is the library's quick tour on the same corpus (tag, analyse, filter, synthesize, dedup,
mix five conditions, evaluate a random tiny model, no training), also in its own process.
Both are wall times on a machine whose other load is printed beside them.

    python benchmarks/whole_path_time.py [--passes 1] [--seeds 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=float, default=1.0, help="passes over the smallest mix (the whole path's default: 1)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        load_before = os.getloadavg()[0]
        whole = timed([sys.executable, str(ROOT / "examples" / "whole_path.py"), "--workspace", str(folder / "path"),
                       "--passes", str(args.passes), "--seeds", *map(str, args.seeds)], ROOT)
        steps = json.loads((folder / "path" / "timings.json").read_text())
        demo = timed([sys.executable, "-m", "alignment_data.cli", "demo", "--output", str(folder / "demo")], ROOT)
        load_after = os.getloadavg()[0]
    figures = {"whole_path_seconds": round(whole, 1), "steps": steps, "demo_seconds": round(demo, 1),
               "ratio_to_demo": round(whole / demo, 2), "load_average": [round(load_before, 1), round(load_after, 1)]}
    print(f"whole path: {whole:.1f} s ({', '.join(f'{name} {seconds:.1f} s' for name, seconds in steps.items() if name != 'total')})")
    print(f"baseline, alignment-data demo: {demo:.1f} s; the whole path takes {whole / demo:.2f}x the demo")
    print(f"load average before/after: {load_before:.1f}/{load_after:.1f} (two cores)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
