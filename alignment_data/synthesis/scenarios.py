"""``alignment-data scenarios``: two-choice scenarios from source texts, in the shared scenario record.

Each passage of the sources (see :mod:`alignment_data.synthesis.sources`) is sent with the
scenario prompt; the answer's JSON is parsed and every scenario in it validated as a
:class:`~alignment_data.schema.Scenario` (exactly two options with distinct labels and
texts, labels that name them, a question, one to three topics, the inspiring passage).
Valid ones are kept, invalid ones rejected with the field at fault; a passage whose answer
is unusable (not JSON, a refusal, no valid scenario) is asked again with a new attempt, up
to ``attempts``, then rejected with the reason. The aligned option lands on A or B by a
hash of the question, so neither letter gives it away; exact repeats of a question are
dropped. Written next to ``FILE``: ``FILE``'s stem with ``.rejects.jsonl``,
``.summary.json``, ``.run.json`` and ``.requests.sqlite``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from alignment_data.errors import ConfigError, InputError
from alignment_data.schema import Scenario, ScenarioOption
from alignment_data.synthesis.backends.base import make_backend
from alignment_data.synthesis.options import ScenarioOptions, recorded, resolve_options
from alignment_data.synthesis.prompts.scenarios import scenario_request
from alignment_data.synthesis.requests import FINISH_STOP, Answer
from alignment_data.synthesis.runs import open_run, write_json, write_jsonl
from alignment_data.synthesis.sources import Passage, read_passages

EXCERPT = 300


def generate_scenarios(sources: str | Path, output: str | Path, options: ScenarioOptions | None = None,
                       report: Callable[[str], None] | None = None, **overrides) -> dict:
    """Scenarios from the source texts at ``sources`` into the JSONL file ``output``; the summary.

    Keyword overrides are the fields of :class:`ScenarioOptions`, e.g. ``backend="openai",
    model="gpt-4o-mini", per_chunk=5``.
    """
    options = resolve_options(ScenarioOptions, options, overrides, "scenarios")
    if options.backend is None:
        raise ConfigError("scenarios: choose a --backend (openai, anthropic or openai-compatible)")
    started = time.time()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)

    def sidecar(suffix: str) -> Path:
        return output.with_name(output.stem + suffix)

    report = report or (lambda line: None if options.quiet else print(line))
    passages, skipped = read_passages(sources, options.chunk_words)
    backend = make_backend(options.backend, options.backend_settings())
    run = open_run(output.parent, "scenarios", {"sources": str(sources), **recorded(options)},
                   run_file=sidecar(".run.json"), cache=options.cache or str(sidecar(".requests.sqlite")))
    engine = options.engine(backend, run, report, "scenarios")
    kept: list[Scenario] = []
    rejects: list[dict] = [{"source": item.source, "reason": "skipped: " + item.reason} for item in skipped]
    pending = passages
    for attempt in range(1, options.attempts + 1):
        if not pending or engine.budget.stopped:
            break
        requests = [scenario_request(p.text, p.source, options.per_chunk, attempt, options.max_tokens) for p in pending]
        failures = engine.send(requests)
        again = []
        for passage, (key, answer) in zip(pending, engine.fetch(requests)):
            if answer is None:
                rejects.append(_reject(passage, attempt, "no_answer: " + failures.get(key, "no answer")))
                continue
            found, invalid, problem = parse_scenarios(answer, passage, options.split)
            rejects.extend(_reject(passage, attempt, reason, item=index) for index, reason in invalid)
            if problem or not found:
                rejects.append(_reject(passage, attempt, problem or "no valid scenario", answer.text))
                again.append(passage)
            kept.extend(found)
        pending = again
    unique, seen = [], set()
    for scenario in kept:
        question = " ".join(scenario.question.lower().split())
        if question in seen:
            rejects.append({"source": scenario.source, "id": scenario.id, "reason": "duplicate_question"})
            continue
        seen.add(question)
        unique.append(scenario)
    write_jsonl(output, (scenario.to_dict() for scenario in unique))
    write_jsonl(sidecar(".rejects.jsonl"), rejects)
    reasons = Counter(row["reason"].split(":")[0] for row in rejects)
    summary = {"command": "scenarios", "sources": str(sources), "output": str(output), "run_tag": run.tag,
               "backend": backend.name, "model": backend.model, "passages": len(passages), "skipped_sources": len(skipped),
               "scenarios": len(unique), "gave_up_passages": len(pending), "rejected": len(rejects),
               "rejected_by_reason": dict(reasons.most_common()), "requests": engine.stats.to_dict(),
               "spent_usd_by_run": round(engine.budget.spent, 6), "stopped": engine.stats.stopped,
               "seconds": round(time.time() - started, 3),
               "files": {"scenarios": str(output), "rejects": str(sidecar(".rejects.jsonl"))}}
    write_json(sidecar(".summary.json"), summary)
    return summary


def _reject(passage: Passage, attempt: int, reason: str, text: str = "", item: int | None = None) -> dict:
    row = {"source": passage.source, "chunk": passage.chunk, "attempt": attempt, "reason": reason}
    if item is not None:
        row["item"] = item
    if text:
        row["excerpt"] = text[:EXCERPT]
    return row


def _json_value(text: str):
    """The JSON in a model's answer: all of it, or the outermost object in it (code fences and prose around it ignored)."""
    stripped = re.sub(r"^```[a-z]*\s*|\s*```$", "", text.strip())
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start < 0 or end <= start:
            raise
        return json.loads(stripped[start:end + 1])


def _scenario_id(passage: Passage, index: int) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(passage.source.split("#")[0]).stem.lower()).strip("-") or "source"
    tail = passage.source.split("#", 1)[1] if "#" in passage.source else ""
    digest = hashlib.sha256(passage.source.encode()).hexdigest()[:6]
    return f"{stem}{'-' + re.sub(r'[^a-z0-9]+', '-', tail.lower()) if tail else ''}-{digest}-c{passage.chunk:03d}-{index:02d}"


def parse_scenarios(answer: Answer, passage: Passage, split: str) -> tuple[list[Scenario], list[tuple[int, str]], str | None]:
    """Valid scenarios, ``(index, reason)`` of invalid ones, and why the whole answer is unusable (or ``None``)."""
    if answer.finish != FINISH_STOP:
        return [], [], f"the model stopped with {answer.finish}"
    try:
        value = _json_value(answer.text)
    except json.JSONDecodeError as error:
        return [], [], f"unparseable JSON ({error.msg})"
    items = value.get("scenarios") if isinstance(value, dict) else value
    if not isinstance(items, list):
        return [], [], 'expected {"scenarios": [...]}'
    found, invalid = [], []
    for index, item in enumerate(items):
        try:
            found.append(_validated(item, passage, index, split))
        except InputError as error:
            invalid.append((index, f"invalid scenario: {error.field or 'scenario'}: {error.reason}"))
    return found, invalid, None


def _validated(item, passage: Passage, index: int, split: str) -> Scenario:
    if not isinstance(item, dict):
        raise InputError("expected an object")
    record = {**item, "id": _scenario_id(passage, index), "source": passage.source, "split": split}
    scenario = Scenario.from_dict(record)
    if not 1 <= len(scenario.topics) <= 3 or not all(topic.strip() for topic in scenario.topics):
        raise InputError(f"one to three non-empty topics, got {list(scenario.topics)}", field="topics")
    if not scenario.passage.strip():
        raise InputError("empty", field="passage")
    aligned, misaligned = scenario.option("aligned").text, scenario.option("misaligned").text
    aligned_first = int(hashlib.sha256(scenario.question.encode()).hexdigest(), 16) % 2 == 0
    first, second = (aligned, misaligned) if aligned_first else (misaligned, aligned)
    return Scenario(scenario.id, scenario.question.strip(), (ScenarioOption("A", first.strip()), ScenarioOption("B", second.strip())),
                    "A" if aligned_first else "B", "B" if aligned_first else "A",
                    tuple(topic.strip().lower() for topic in scenario.topics), scenario.passage.strip(), scenario.source, split)
