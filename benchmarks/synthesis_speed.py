"""Synthesis figures: rate-limited throughput, dedup speed and memory, template speed, estimate against actual cost.

1. Requests per second achieved against the local fake server (real OpenAI SDK, HTTP on
   127.0.0.1) when both the client and the server hold a configured rate, beside the
   unthrottled rate of the same set-up (goal: at least 90% of the allowed rate).
2. Near-duplicate removal on 100,000 template documents (5% of them near-copies): documents
   per second of the bulk signatures and of the whole index (signatures, LSH query and
   insert), beside datasketch's per-shingle ``MinHash.update`` and its ``MinHash.bulk`` on a
   sample in the same run (goal: 3,000 per second per core); then `dedup` end to end in a
   fresh process, with its peak memory beside that of only reading the same file.
3. Template-backend documents per second: the writer alone, and `synthesize` end to end.
4. The pre-flight estimate against the usage-based actual of faked runs, online and batch.

    OMP_NUM_THREADS=1 python benchmarks/synthesis_speed.py [--documents 100000] [--rate 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from _data import ROOT  # noqa: E402

sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
KEY = "sk-benchmark"


def demo_scenarios():
    from alignment_data.readers import read_scenarios
    from alignment_data.synthesis.demo import demo_scenarios_path

    return read_scenarios(demo_scenarios_path())


def template_texts(count: int) -> list[str]:
    """``count`` template documents over the bundled scenarios, 5% of them near-copies (one word changed)."""
    from alignment_data.synthesis.grid import plan_slots
    from alignment_data.synthesis.prompts.documents import DocumentSettings, document_request
    from alignment_data.synthesis.surface_forms import default_surface_forms
    from alignment_data.synthesis.template import write_document

    scenarios = [s for s in demo_scenarios() if s.split == "articles"]
    per_stance = -(-count // (2 * len(scenarios)))
    slots = plan_slots(scenarios, default_surface_forms(), {"aligned": per_stance, "misaligned": per_stance})
    settings = DocumentSettings()
    texts = [write_document(document_request(slot, 1, settings, with_prompt=False).template) for slot in slots[:count]]
    rng = random.Random(0)
    for index in rng.sample(range(count), count // 20):
        source = texts[rng.randrange(count)].split()
        source[rng.randrange(len(source))] = "altered"
        texts[index] = " ".join(source)
    return texts


def rate_limited_throughput(rate: float, requests: int) -> dict:
    from alignment_data.synthesis.backends.base import BackendSettings, make_backend
    from alignment_data.synthesis.cache import RequestCache
    from alignment_data.synthesis.engine import EngineSettings, RequestEngine
    from alignment_data.synthesis.requests import ChatRequest
    from tests.fake_llm_server import FakeLLMServer, Reply

    os.environ["OPENAI_API_KEY"] = KEY
    results = {}
    for name, limit in (("unthrottled", None), ("limited", rate)):
        server = FakeLLMServer(key=KEY, responder=lambda kind, body: Reply("A short answer.")).start()
        if limit:
            server.limit_rate(limit, burst_seconds=1.0)
        folder = Path(tempfile.mkdtemp())
        backend = make_backend("openai", BackendSettings("gpt-4o-mini", server.openai_url, timeout=30))
        engine = RequestEngine(backend, RequestCache(folder / "c.sqlite"), None, "bench",
                               EngineSettings(concurrency=64, requests_per_minute=limit, quiet=True), report=lambda line: None)
        batch = [ChatRequest("system", f"request {name} {i}", 16) for i in range(requests)]
        start = time.perf_counter()
        engine.send(batch)
        seconds = time.perf_counter() - start
        server.stop()
        shutil.rmtree(folder)
        results[name] = {"requests": requests, "seconds": round(seconds, 2), "per_second": round(requests / seconds, 1),
                         "retried_429": engine.stats.retry.retries.get("429", 0)}
    allowed = rate / 60
    results["allowed_per_second"] = allowed
    results["achieved_share_of_allowed"] = round(results["limited"]["per_second"] / allowed, 3)
    return results


def dedup_in_process(texts: list[str], sample: int) -> dict:
    import datasketch

    from alignment_data.synthesis.minhash import DedupSettings, MinHasher, NearDuplicateIndex

    hasher = MinHasher()
    start = time.perf_counter()
    hasher.signatures(texts)
    signatures_s = time.perf_counter() - start
    index = NearDuplicateIndex(DedupSettings())
    start = time.perf_counter()
    verdicts = []
    for begin in range(0, len(texts), 2000):
        verdicts += index.add(list(range(begin, min(begin + 2000, len(texts)))), texts[begin:begin + 2000])
    index_s = time.perf_counter() - start
    subset = texts[:sample]
    start = time.perf_counter()
    lsh = datasketch.MinHashLSH(threshold=0.8, num_perm=128)
    for key, text in enumerate(subset):
        minhash = datasketch.MinHash(num_perm=128)
        for shingle in hasher.shingles(text):
            minhash.update(" ".join(shingle).encode())
        lsh.query(minhash)
        lsh.insert(key, minhash)
    per_shingle_s = time.perf_counter() - start
    start = time.perf_counter()
    datasketch.MinHash.bulk([[" ".join(s).encode() for s in hasher.shingles(text)] for text in subset], num_perm=128)
    bulk_s = time.perf_counter() - start
    ours = len(texts) / index_s
    return {
        "documents": len(texts), "mean_words": round(sum(len(t.split()) for t in texts) / len(texts)),
        "signatures_per_second": round(len(texts) / signatures_s), "index_per_second": round(ours),
        "near_duplicate_rate": round(sum(v.duplicate_of is not None for v in verdicts) / len(texts), 4),
        "datasketch_per_shingle_update_plus_lsh_per_second": round(sample / per_shingle_s),
        "datasketch_bulk_signatures_per_second": round(sample / bulk_s),
        "speedup_over_per_shingle": round(ours / (sample / per_shingle_s), 1),
        "baseline_sample": sample,
    }


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM: a child's ru_maxrss would start at its parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(mode: str, corpus: str, output: str) -> None:
    """One measurement in a fresh process: reading the corpus only, or `dedup` over it."""
    start = time.perf_counter()
    if mode == "read":
        from alignment_data.readers import iter_records

        count = sum(1 for _ in iter_records(corpus))
    else:
        from alignment_data.synthesis.dedup import dedup_documents

        count = dedup_documents(corpus, output, quiet=True)["read"]
    print(json.dumps({"documents": count, "seconds": round(time.perf_counter() - start, 2), "peak_rss_mb": peak_memory_mb()}))


def dedup_command(texts: list[str]) -> dict:
    corpus = OUT / "dedup_corpus.jsonl"
    with open(corpus, "w") as out:
        for index, text in enumerate(texts):
            out.write(json.dumps({"id": f"d{index}", "text": text, "metadata": {}}) + "\n")
    results = {}
    for mode in ("read", "dedup"):
        target = OUT / "dedup_run"
        shutil.rmtree(target, ignore_errors=True)
        code = f"import synthesis_speed; synthesis_speed.child({mode!r}, {str(corpus)!r}, {str(target)!r})"
        done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, capture_output=True, text=True,
                              check=True)
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    results["dedup"]["per_second"] = round(results["dedup"]["documents"] / results["dedup"]["seconds"])
    shutil.rmtree(OUT / "dedup_run", ignore_errors=True)
    corpus.unlink()
    return results


def template_speed() -> dict:
    from alignment_data.synthesis.demo import demo_scenarios_path
    from alignment_data.synthesis.documents import synthesize

    start = time.perf_counter()
    texts = template_texts(20_000)
    writer_s = time.perf_counter() - start
    folder = OUT / "template_run"
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    summary = synthesize(demo_scenarios_path(), folder, per_scenario="aligned=250,misaligned=250", quiet=True)
    run_s = time.perf_counter() - start
    shutil.rmtree(folder)
    return {"writer_per_second": round(len(texts) / writer_s), "synthesize_documents": summary["documents"]["slots"],
            "synthesize_seconds": round(run_s, 2), "synthesize_per_second": round(summary["documents"]["slots"] / run_s),
            "synthesize_near_duplicate_rate": summary["documents"]["near_duplicate_rate"]}


def estimate_against_actual(documents_per_stance: int) -> dict:
    from alignment_data.synthesis.demo import demo_scenarios_path
    from alignment_data.synthesis.documents import synthesize
    from tests.fake_llm_server import FakeLLMServer, Reply, body_hash, filler_text

    def responder(kind, body):
        words = random.Random(body_hash(body)).randint(450, 950)  # documents asked for about 700 words
        return Reply(filler_text(body_hash(body), words))

    os.environ["OPENAI_API_KEY"] = KEY
    results = {}
    for mode in ("online", "batch"):
        server = FakeLLMServer(key=KEY, responder=responder).start()
        folder = OUT / f"cost_{mode}"
        shutil.rmtree(folder, ignore_errors=True)
        summary = synthesize(demo_scenarios_path(), folder, backend="openai", model="gpt-4o-mini", base_url=server.openai_url,
                             batch=mode == "batch", poll_interval=0.01, quiet=True,
                             per_scenario=f"aligned={documents_per_stance},misaligned={documents_per_stance}")
        server.stop()
        shutil.rmtree(folder)
        estimate, requests = summary["requests"]["estimates"][0], summary["requests"]
        results[mode] = {"requests": estimate["requests"], "estimated_usd": estimate["usd"], "actual_usd": requests["spent_usd"],
                         "estimate_over_actual": round(estimate["usd"] / requests["spent_usd"], 3),
                         "input_tokens_estimated": estimate["input_tokens"], "input_tokens_actual": requests["input_tokens"],
                         "output_tokens_estimated": estimate["output_tokens"], "output_tokens_actual": requests["output_tokens"],
                         "ceiling_usd": estimate["max_usd"]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=3000.0, help="requests per minute allowed")
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {"rate_limit": rate_limited_throughput(args.rate, args.requests)}
    print("rate limit", results["rate_limit"], flush=True)
    texts = template_texts(args.documents)
    results["dedup"] = dedup_in_process(texts, args.baseline_sample)
    print("dedup", results["dedup"], flush=True)
    results["dedup_command"] = dedup_command(texts)
    print("dedup command", results["dedup_command"], flush=True)
    results["template"] = template_speed()
    print("template", results["template"], flush=True)
    results["cost"] = estimate_against_actual(5)
    print("cost", results["cost"], flush=True)
    (OUT / "synthesis_speed.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
