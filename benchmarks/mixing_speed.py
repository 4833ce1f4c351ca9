"""Tokenize once, mix at copy speed: each figure beside a baseline measured in the same run.

Builds a corpus of real text (the external web pages and, for a tenth of the documents, the
real AI-discourse ones, cycled with fresh ids), tags it with the blocklist, trains a byte-level BPE tokenizer on the
external texts, and then measures, every measurement in its own process pinned to one core:

- tokenize (``run_tokenize`` of the corpus file: reading it, datatrove's DocumentTokenizer,
  side table and texts) against the bare tokenizer's ``encode_batch`` over the same texts
  already in memory (best of three each);
- assembling a condition from the tokenized inputs (writing its token files) against ``cp``
  of the same number of bytes;
- the four study conditions built from one tokenization (of the tag run, tags included)
  against that tokenization;
- a text mix (``--format jsonl``) against a plain datatrove JsonlReader -> JsonlWriter copy;
- peak memory of a mix at 1x and 10x the input (10x: the tokenized input as ten parts).

Times are CPU seconds (user + system, the measuring process and its children): the
development machine is shared, and wall time there measures the neighbours too.

    python benchmarks/mixing_speed.py [--mb 40] [--vocab 32768] [--ai-share 0.1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # the tokenizers library encodes on one thread
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import orjson  # noqa: E402
from _data import AI_DISCOURSE, ROOT, WEB, read_texts  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "mixing"
SETTINGS = {"sequence_length": 2048, "global_batch_tokens": 2048 * 64}
STUDY = ("unfiltered", "filtered", "misalignment_upsampled", "alignment_upsampled")


def build_corpus(path: Path, megabytes: float, ai_share: float) -> int:
    """Real web pages with ``ai_share`` of the documents real AI discourse, cycled with fresh
    ids, up to ``megabytes`` (the study's blocklist flagged 9.3% of its pretraining data)."""
    web = [text for rows in read_texts(WEB).values() for _, text in rows]
    ai = [text for rows in read_texts(AI_DISCOURSE).values() for _, text in rows]
    size = index = 0
    with open(path, "wb") as out:
        while size < megabytes * 1e6:
            is_ai = (index * ai_share) % 1 + ai_share >= 1  # evenly spread
            text = ai[index % len(ai)] if is_ai else web[index % len(web)]
            line = orjson.dumps({"id": f"doc-{index}", "text": text}) + b"\n"
            out.write(line)
            size += len(line)
            index += 1
    return size


def build_synthetic(path: Path, copies: int) -> None:
    """The bundled example synthetic documents, cycled with fresh ids."""
    from alignment_data.mixing.demo import demo_synthetic_path

    rows = [json.loads(line) for line in open(demo_synthetic_path(), encoding="utf-8")]
    with open(path, "w", encoding="utf-8") as out:
        for copy in range(copies):
            for row in rows:
                out.write(json.dumps({**row, "id": f"{row['id']}-{copy}"}) + "\n")


def train_tokenizer(folder: Path, vocab: int) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    texts = [text for source in (WEB, AI_DISCOURSE) for rows in read_texts(source).values() for _, text in rows]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"], show_progress=False,
                                                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder / "tokenizer.json"


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children: on a shared machine
    it counts the work done, not the waits for a core."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_kb() -> int:
    return int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))


def child(mode: str, args: list[str]) -> dict:
    """One measurement, in this process: seconds (and peak memory). The libraries are imported
    before the clock starts: interpreter start-up is no part of a throughput."""
    import datatrove.executor  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from alignment_data import DiscourseMixer  # noqa: F401
    from alignment_data.pipeline import tokenize  # noqa: F401
    from alignment_data.pipeline.recipes import ExecutorConfig

    local = ExecutorConfig(tasks=1, workers=1, quiet=True)
    start = cpu_seconds()
    if mode == "encode":
        from tokenizers import Tokenizer

        corpus, tokenizer_file = args
        texts = [orjson.loads(line)["text"] for line in open(corpus, "rb")]
        tokenizer = Tokenizer.from_file(tokenizer_file)
        start = cpu_seconds()
        count = sum(len(encoding.ids) for first in range(0, len(texts), 1000) for encoding in tokenizer.encode_batch(texts[first : first + 1000]))
        return {"seconds": cpu_seconds() - start, "tokens": count}
    if mode == "tokenize":
        from alignment_data.mixing.tokenizer import TrainingTokenizer
        from alignment_data.pipeline.tokenize import run_tokenize

        source, tokenizer_file, output, synthetic = args
        manifest = run_tokenize(source, output, TrainingTokenizer.from_path(tokenizer_file), synthetic=synthetic == "1", executor=local)
        return {"seconds": cpu_seconds() - start, "tokens": manifest["tokens"]}
    if mode in ("mix", "plan"):
        from alignment_data import DiscourseMixer, MixSettings

        base, synthetic, tokenizer_file, output, condition, output_format = args
        mixer = DiscourseMixer(base, tokenizer_file, synthetic, executor=local)
        settings = MixSettings(**SETTINGS, format=output_format)
        if mode == "plan":
            mixer.plan(condition, settings, folder=Path(output))
            return {"seconds": cpu_seconds() - start}
        manifest = mixer.build(condition, output, settings)
        files = [entry for stage in manifest["stages"] for entry in stage["files"]]
        return {"seconds": cpu_seconds() - start, "bytes": sum(entry["bytes"] for entry in files),
                "tokens": manifest["tokens"]["total"], "peak_mb": peak_kb() / 1e3}
    if mode == "assemble":  # the files of a planned mix: through the executor, then the copying alone
        from alignment_data.mixing.assembly import write_token_file
        from alignment_data.mixing.shards import read_header
        from alignment_data.mixing.store import TokenizedFolder
        from alignment_data.pipeline.assemble import run_assembly

        output, again = Path(args[0]), Path(args[1])
        run_assembly(str(output), local)
        seconds = cpu_seconds() - start
        header = read_header(output)
        folders = {0: TokenizedFolder(header["base"]), 1: TokenizedFolder(header["synthetic"])}
        best = {}
        for _ in range(3):
            for checksum in (False, True):
                shutil.rmtree(again, ignore_errors=True)  # new files, as cp writes (truncating old ones costs more)
                start = cpu_seconds()
                for entry in header["files"]:
                    write_token_file(output / entry["plan"], folders, again / entry["file"], header["token_size"],
                                     header["tokenizer_label"], checksum)
                key = "copy_seconds_with_sha256" if checksum else "copy_seconds"
                best[key] = min(best.get(key, float("inf")), cpu_seconds() - start)
        return {"seconds": seconds, **best}
    if mode == "datatrove_copy":
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.readers import JsonlReader
        from datatrove.pipeline.writers import JsonlWriter

        corpus, output = args
        LocalPipelineExecutor([JsonlReader(os.path.dirname(corpus), glob_pattern=os.path.basename(corpus)),
                               JsonlWriter(output + "/copy", compression=None)], tasks=1, logging_dir=output + "/logs").run()
        return {"seconds": cpu_seconds() - start}
    raise ValueError(mode)


def measure(mode: str, *args: str) -> dict:
    """Run one measurement in a fresh process pinned to the first core."""
    done = subprocess.run(["taskset", "-c", "0", sys.executable, __file__, "--child", mode, *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {mode} {' '.join(Path(arg).name for arg in args)}: {result}", file=sys.stderr, flush=True)
    return result


def _fresh(path: Path) -> str:
    shutil.rmtree(path, ignore_errors=True)
    return str(path)


def scaled(base: Path, folder: Path, copies: int) -> Path:
    """``base`` as ``copies`` parts with fresh ids and keys (copies of its files): ``copies`` x the input."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from alignment_data.mixing.keyed import key_hashes

    shutil.rmtree(folder, ignore_errors=True)
    manifest = json.loads((base / "manifest.json").read_text())
    for name in ("table", "tokens", "texts"):
        (folder / name).mkdir(parents=True)
    parts = []
    for copy in range(copies):
        for part in manifest["parts"]:
            number = len(parts)
            files = {"token_file": f"tokens/{number:05d}.ds", "texts_file": f"texts/{number:05d}.jsonl",
                     "table_file": f"table/{number:05d}.parquet"}
            for key in ("token_file", "texts_file"):
                shutil.copyfile(base / part[key], folder / files[key])
            table = pq.read_table(base / part["table_file"])
            ids = [f"{key}~{copy}" for key in table.column("id").to_pylist()]
            table = table.set_column(0, "id", pa.array(ids)).set_column(1, "key_hash", pa.array(key_hashes(ids)))
            pq.write_table(table, folder / files["table_file"])
            parts.append({**part, **files, "rank": number})
    counts = {key: manifest[key] * copies for key in ("documents", "tokens", "tagged", "flagged", "read")}
    (folder / "manifest.json").write_text(json.dumps({**manifest, **counts, "parts": parts}))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40)
    parser.add_argument("--vocab", type=int, default=32768)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the tokenizing figures (the best counts)")
    parser.add_argument("--ai-share", type=float, default=0.1, help="share of the documents that are AI discourse")
    parser.add_argument("--child", nargs="+", metavar="ARG")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:])))
        return
    from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
    from alignment_data.tagging import TaggerSpec

    OUT.mkdir(parents=True, exist_ok=True)
    corpus = OUT / "corpus.jsonl"
    corpus_bytes = build_corpus(corpus, args.mb, args.ai_share)
    text_mb = sum(len(orjson.loads(line)["text"].encode()) for line in open(corpus, "rb")) / 1e6
    build_synthetic(OUT / "synthetic.jsonl", 40)
    tokenizer = str(train_tokenizer(OUT / "tokenizer", args.vocab))
    run_tag(str(corpus), _fresh(OUT / "tag"), TaggerSpec("blocklist"), ExecutorConfig(quiet=True))
    results: dict = {"corpus_mb": round(corpus_bytes / 1e6, 1), "text_mb": round(text_mb, 1), "vocab": args.vocab,
                     "ai_share": args.ai_share}

    encodes, tokenizes = [], []
    for _ in range(args.repeats):  # alternated, so a busy spell of the shared machine hits both
        encodes.append(measure("encode", str(corpus), tokenizer))
        tokenizes.append(measure("tokenize", str(corpus), tokenizer, _fresh(OUT / "corpus-tokens"), "0"))
    encode, tokenize = (min(runs, key=lambda run: run["seconds"]) for runs in (encodes, tokenizes))
    tag_run = measure("tokenize", str(OUT / "tag"), tokenizer, _fresh(OUT / "base"), "0")
    synthetic = measure("tokenize", str(OUT / "synthetic.jsonl"), tokenizer, _fresh(OUT / "synth"), "1")
    results["tokenize"] = {"bare_encode_mb_s": text_mb / encode["seconds"], "tokenize_mb_s": text_mb / tokenize["seconds"],
                           "share_of_bare": encode["seconds"] / tokenize["seconds"], "tokens": tokenize["tokens"],
                           "tag_run_mb_s": text_mb / tag_run["seconds"]}

    builds = {name: measure("mix", str(OUT / "base"), str(OUT / "synth"), tokenizer, _fresh(OUT / f"mix-{name}"), name, "tokens")
              for name in STUDY}
    tokenized_once = tag_run["seconds"] + synthetic["seconds"]
    four = sum(build["seconds"] for build in builds.values())
    results["four_conditions"] = {"tokenize_once_s": tokenized_once, "four_builds_s": four,
                                  "tokenize_once_plus_four_builds_vs_tokenize_once": (tokenized_once + four) / tokenized_once,
                                  "four_builds_vs_tokenize_once": four / tokenized_once}

    ten = scaled(OUT / "base", OUT / "base-10x", 10)
    target = OUT / "assemble"
    measure("mix", str(ten), str(OUT / "synth"), tokenizer, _fresh(target), "alignment_upsampled", "tokens")
    files = [path for path in target.rglob("*.ds")]
    written = sum(path.stat().st_size for path in files)
    for done in [*target.glob("stage-*"), target / "logs" / "assemble"]:  # written again, not skipped as completed
        shutil.rmtree(done)
    for done in [target / "manifest.json", *target.glob("counts/*.assembled.json")]:
        done.unlink()
    assemble = measure("assemble", str(target), _fresh(OUT / "assemble-again"))
    cp_runs = []
    for _ in range(3):  # best of three, like the copying
        start = cpu_seconds()
        for path in sorted(target.rglob("*.ds")):
            subprocess.run(["taskset", "-c", "0", "cp", str(path), str(OUT / "copy.ds")], check=True)
            (OUT / "copy.ds").unlink()
        cp_runs.append(cpu_seconds() - start)
    cp_rate = written / min(cp_runs)
    results["assemble"] = {"bytes": written, "cp_gb_s": cp_rate / 1e9,
                           "copying_gb_s": written / assemble["copy_seconds"] / 1e9,
                           "copying_share_of_cp": written / assemble["copy_seconds"] / cp_rate,
                           "copying_with_sha256_gb_s": written / assemble["copy_seconds_with_sha256"] / 1e9,
                           "copying_with_sha256_share_of_cp": written / assemble["copy_seconds_with_sha256"] / cp_rate,
                           "through_the_executor_gb_s": written / assemble["seconds"] / 1e9}

    copy = measure("datatrove_copy", str(corpus), _fresh(OUT / "datatrove-copy"))
    text = measure("mix", str(OUT / "base"), str(OUT / "synth"), tokenizer, _fresh(OUT / "mix-text"), "alignment_upsampled", "jsonl")
    results["text_mix"] = {"datatrove_copy_mb_s": corpus_bytes / copy["seconds"] / 1e6,
                           "text_mix_mb_s": text["bytes"] / text["seconds"] / 1e6,
                           "share_of_datatrove_copy": (text["bytes"] / text["seconds"]) / (corpus_bytes / copy["seconds"])}

    one = measure("mix", str(OUT / "base"), str(OUT / "synth"), tokenizer, _fresh(OUT / "mem-1x"), "alignment_upsampled", "tokens")
    many = measure("mix", str(ten), str(OUT / "synth"), tokenizer, _fresh(OUT / "mem-10x"), "alignment_upsampled", "tokens")
    results["memory"] = {"peak_mb_1x": one["peak_mb"], "peak_mb_10x": many["peak_mb"],
                         "tokens_1x": one["tokens"], "tokens_10x": many["tokens"],
                         "growth": many["peak_mb"] / one["peak_mb"] - 1}
    results = json.loads(json.dumps(results), parse_float=lambda value: round(float(value), 4))
    (OUT / "mixing_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
