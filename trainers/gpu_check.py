"""The GPU check: training speed and model FLOPs utilisation on one GPU, in under ten minutes.

Run on the GPU machine, from the repository root:

    python3 trainers/gpu_check.py [--budget 540] [--presets 150m:30,1b:20] [--json OUT.json]

It writes a mix of random tokens (vocabulary 50,304), trains the reference trainer on the
``150m`` and ``1b`` presets (bf16 autocast, ``torch.compile``; retried without compile if
compiling fails) and, when nanotron's environment is there (``environment.sh``: nanotron,
flash-attn, grouped_gemm), the ``1b`` nanotron preset through our launcher with torchrun. Each
run has a timeout inside the budget; a run that fails or times out is reported and the check
goes on. It prints, per run, tokens per second (steady state: the steps after the first
quarter) and MFU = tokens/s x FLOPs per token / peak, with nanotron's ``get_flops`` FLOPs per
token (3 x forward matmuls, full S^2 attention, lm_head counted, embedding not) and a dense
bf16 peak of 989 TFLOP/s for both the H100 SXM and the H200 (the same chip). For nanotron it
also reads the ``model_tflops_per_gpu`` nanotron logs. Everything ends in one JSON object.

alignment-data imports ahocorasick-rs, orjson and zstandard when it starts, and the token
writer uses humanize; a machine that lacks them and cannot reach PyPI gets them as wheels: run ``python trainers/gpu_check.py
--fetch-wheels`` where pip works (writes ``.whl/``), bring ``.whl`` along, and the check
installs them into ``/tmp/site`` first. Rehearse the script on CPU (it checks the script, not
the GPU): ``python trainers/gpu_check.py --device cpu --presets tiny:6 --no-compile``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ROOT / ".whl"
SITE = "/tmp/site"
# What the check imports beyond a CUDA PyTorch image with transformers: alignment-data's start-up imports, the token writer's.
CARRIED_PACKAGES = ("ahocorasick-rs", "orjson", "zstandard", "humanize")
PEAKS = {"H100": 989e12, "H200": 989e12}  # dense bf16, vendor datasheets
FORMULA = "MFU = tokens/s x nanotron get_flops per token (3 x forward matmuls, full S^2 attention, lm_head, no embedding) / peak"


def say(message: str) -> None:
    print(f"[gpu-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


def fetch_wheels() -> int:
    """Download the carried packages as Python 3.12 x86-64 wheels into .whl (run where pip reaches PyPI)."""
    from importlib.metadata import version

    WHEELS.mkdir(exist_ok=True)
    pins = [f"{name}=={version(name)}" for name in CARRIED_PACKAGES]
    platforms = [arg for tag in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "any")
                 for arg in ("--platform", tag)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
               "--implementation", "cp", *platforms, "-d", str(WHEELS), *pins]
    say("fetching " + ", ".join(pins))
    return subprocess.call(command)


def ensure_startup_packages() -> None:
    """Import what the check needs, installing the carried wheels into /tmp/site and restarting once if it cannot."""
    try:
        import humanize  # noqa: F401

        import alignment_data  # noqa: F401
        return
    except ImportError as error:
        missing = error
    wheels = sorted(WHEELS.glob("*.whl"))
    if not wheels or os.environ.get("GPU_CHECK_SITE_READY"):
        say(f"cannot import what the check needs ({missing}); bring it as wheels: python trainers/gpu_check.py "
            "--fetch-wheels (where pip works), then carry .whl")
        sys.exit(3)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                           "--target", SITE, *map(str, wheels)])
    env = {**os.environ, "GPU_CHECK_SITE_READY": "1", "PYTHONPATH": os.pathsep.join(filter(None, [SITE, os.environ.get("PYTHONPATH")]))}
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def device_report(device: str) -> dict:
    import torch

    report = {"torch": torch.__version__, "device": device}
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            say("no CUDA device visible to torch")
            sys.exit(4)
        name = torch.cuda.get_device_name(0)
        peak = next((value for key, value in PEAKS.items() if key in name), None)
        report.update(gpu=name, gpus=torch.cuda.device_count(), peak_flops=peak or PEAKS["H100"],
                      peak_note="datasheet dense bf16" if peak else f"unknown GPU {name!r}: MFU against the H100 SXM's 989 TFLOP/s")
    return report


def steady_tokens_per_second(run_dir: Path) -> tuple[float, int]:
    """Tokens/s over the steps after the first quarter (compilation and warm-up left out), and how many steps that is."""
    log = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    tail = log[max(1, len(log) // 4):] or log
    step_tokens = log[0]["tokens"]
    return len(tail) * step_tokens / sum(entry["seconds"] for entry in tail), len(tail)


def run_reference(mix: Path, scratch: Path, preset: str, steps: int, device: str, compile_: bool, timeout: float, peak: float | None):
    """One reference-trainer run in a subprocess with a timeout; its figures, or what went wrong."""
    out = scratch / f"reference-{preset}{'-compiled' if compile_ else ''}"
    shutil.rmtree(out, ignore_errors=True)
    dtype = "bfloat16" if device.startswith("cuda") else "float32"
    command = [sys.executable, str(ROOT / "trainers" / "reference" / "train.py"), "--data", str(mix), "--output", str(out),
               "--preset", preset, "--steps", str(steps), "--checkpoint-every", str(steps), "--device", device, "--dtype", dtype,
               "--log-every", str(max(1, steps // 5)), *(["--compile"] if compile_ else [])]
    say(f"reference trainer {preset}: {steps} steps on {device} ({dtype}{', compiled' if compile_ else ''}), timeout {timeout:.0f} s")
    began = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"run": f"reference {preset}", "status": f"timed out after {timeout:.0f} s"}
    if done.returncode:
        return {"run": f"reference {preset}", "status": f"failed (exit {done.returncode})", "stderr_tail": done.stderr[-1500:]}
    summary = json.loads(done.stdout)
    steady, measured = steady_tokens_per_second(out)
    result = {"run": f"reference {preset}", "status": "ok", "compiled": compile_, "steps": summary["steps"],
              "parameters": summary["parameters"], "flops_per_token": summary["flops_per_token"],
              "tokens_per_second_all_steps": round(summary["tokens_per_second"]), "tokens_per_second": round(steady),
              "steady_steps": measured, "final_loss": round(summary["final_loss"], 4), "wall_seconds": round(time.perf_counter() - began, 1)}
    if peak:
        result["mfu"] = round(steady * summary["flops_per_token"] / peak, 4)
    return result


def nanotron_ready() -> str | None:
    """Why nanotron cannot run here, or None when its environment is present."""
    missing = [name for name in ("nanotron", "flash_attn", "grouped_gemm", "dacite") if importlib.util.find_spec(name) is None]
    if missing:
        return f"not installed here: {', '.join(missing)} (build it with trainers/nanotron/environment.sh)"
    if shutil.which("torchrun") is None:
        return "torchrun is not on PATH"
    return None


def _human(value: str, unit: str) -> float:
    return float(value) * {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[unit]


def run_nanotron(mix: Path, scratch: Path, steps: int, timeout: float, peak: float | None) -> dict:
    """The 1b nanotron preset through our launcher on one GPU, its speed read from nanotron's own log lines."""
    config = scratch / "nanotron-1b.yaml"
    made = subprocess.run([sys.executable, str(ROOT / "trainers" / "nanotron" / "make_config.py"), "--preset", "1b", "--gpus", "1",
                           "--data", str(mix), "--global-batch-tokens", "262144", "--train-steps", str(steps),
                           "--checkpoints", str(scratch / "nanotron-checkpoints"), "--checkpoint-interval", str(10 * steps),
                           "--output", str(config)], capture_output=True, text=True)
    if made.returncode:
        return {"run": "nanotron 1b", "status": "config failed", "stderr_tail": made.stderr[-1500:]}
    report = json.loads(made.stdout)
    say(f"nanotron 1b: {steps} steps through trainers/nanotron/launch.py, timeout {timeout:.0f} s")
    env = {**os.environ, "CUDA_DEVICE_MAX_CONNECTIONS": "1"}
    try:
        done = subprocess.run(["torchrun", "--standalone", "--nproc_per_node=1", str(ROOT / "trainers" / "nanotron" / "launch.py"),
                               "--config-file", str(config)], capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"run": "nanotron 1b", "status": f"timed out after {timeout:.0f} s"}
    text = done.stdout + done.stderr
    if done.returncode:
        return {"run": "nanotron 1b", "status": f"failed (exit {done.returncode})", "log_tail": text[-2000:]}
    speeds = [_human(value, unit) for value, unit in re.findall(r"tokens_per_sec: ([\d.]+)([KMGT]?)", text)]
    tflops = [float(value) for value in re.findall(r"model_tflops_per_gpu: ([\d.]+)", text)]
    tail = speeds[max(1, len(speeds) // 4):] or speeds
    result = {"run": "nanotron 1b", "status": "ok" if speeds else "ran, but no tokens_per_sec lines were found",
              "flops_per_token": report["flops_per_token"], "steps": steps}
    if tail:
        steady = sum(tail) / len(tail)
        result["tokens_per_second"] = round(steady)
        if peak:
            result["mfu"] = round(steady * report["flops_per_token"] / peak, 4)
    if tflops and peak:
        result["mfu_from_nanotron_tflops"] = round(sum(tflops[-len(tail):]) / len(tail) * 1e12 / peak, 4)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fetch-wheels", action="store_true", help="download the start-up packages into .whl and stop")
    parser.add_argument("--budget", type=float, default=540, help="seconds for the whole check (default 540: ten minutes less a margin)")
    parser.add_argument("--presets", default="150m:30,1b:20", help="reference presets and their steps, PRESET:STEPS,...")
    parser.add_argument("--nanotron-steps", type=int, default=12)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--json", help="also write the results here (default: $OUT/gpu_check.json when OUT is set)")
    args = parser.parse_args(argv)
    if args.fetch_wheels:
        return fetch_wheels()
    deadline = time.monotonic() + args.budget
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    ensure_startup_packages()
    from trainers.reference.presets import PRESETS

    report = device_report(args.device)
    say(json.dumps(report))
    runs = [(name, int(steps)) for name, steps in (item.split(":") for item in args.presets.split(","))]
    scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    largest = max(PRESETS[name].global_batch_sequences * (PRESETS[name].sequence_length + 1) * steps for name, steps in runs)
    from trainers.random_mix import random_mix

    mix = random_mix(scratch / "data", 50_304, {"stage-0": int(largest * 1.05)}).folder
    say(f"random-token mix of {largest * 1.05:,.0f} tokens at {mix}")
    results = []
    for position, (name, steps) in enumerate(runs):
        share = (deadline - time.monotonic() - 30) / (len(runs) - position + 1)  # keep a share for nanotron
        result = run_reference(mix, scratch, name, steps, args.device, not args.no_compile, share, report.get("peak_flops"))
        if result["status"] != "ok" and not args.no_compile:
            say(f"{result['status']}; again without torch.compile")
            result = run_reference(mix, scratch, name, steps, args.device, False, deadline - time.monotonic() - 30, report.get("peak_flops"))
        say(json.dumps(result))
        results.append(result)
    reason = nanotron_ready() if args.device.startswith("cuda") else "the nanotron check needs CUDA"
    if reason:
        results.append({"run": "nanotron 1b", "status": f"skipped: {reason}"})
    else:
        results.append(run_nanotron(mix, scratch, args.nanotron_steps, max(30.0, deadline - time.monotonic() - 10), report.get("peak_flops")))
    say(json.dumps(results[-1]))
    final = {"device": report, "formula": FORMULA, "results": results}
    print(json.dumps(final, indent=2))
    target = args.json or (os.path.join(os.environ["OUT"], "gpu_check.json") if os.environ.get("OUT") else None)
    if target:
        Path(target).write_text(json.dumps(final, indent=2) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(result["status"] == "ok" or result["status"].startswith("skipped") for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
