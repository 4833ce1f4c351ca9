"""``alignment-data synthesize``: scenario-grounded documents for every cell of the quota grid.

For each slot of the grid (scenario x stance x surface form x number) the run asks for a
document, keeps it if it passes the gates (finish, refusal, length, no quoted option, and
the optional stance check) and otherwise asks again with a new attempt, up to
``attempts``; then it takes the kept documents in grid order, drops near-duplicates
(MinHash LSH) and writes the rest. Held-out scenarios never get documents. Every output is
rebuilt from the request cache on each invocation, so a rerun into the same folder sends
only what never got an answer and writes what an uninterrupted run would have written.

Output folder::

    documents/documents.jsonl   the documents ({"id", "text", "metadata"}: read_synthetic_documents)
    rejects.jsonl               every output not kept, with its reason (and near-duplicates, with the kept one)
    summary.json                the grid (filled or not), counts that add up, requests, tokens and dollars
    run.json, requests.sqlite   the run's tag and settings; the request cache and batch ledger
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from alignment_data.outputs import claim_output_folder
from alignment_data.readers import read_scenarios
from alignment_data.schema import GeneratorInfo, SyntheticDocument, SyntheticDocumentMeta
from alignment_data.synthesis.backends.base import make_backend
from alignment_data.synthesis.grid import Slot, grid_report, parse_per_scenario, plan_slots
from alignment_data.synthesis.holdout import VerbatimIndex, select_scenarios
from alignment_data.synthesis.minhash import NearDuplicateIndex
from alignment_data.synthesis.options import SynthesizeOptions, recorded, resolve_options
from alignment_data.synthesis.prompts.documents import DocumentSettings, document_request
from alignment_data.synthesis.quality import Gates, StanceCheck, clean_text, gate
from alignment_data.synthesis.runs import open_run, write_json, write_jsonl
from alignment_data.synthesis.surface_forms import load_surface_forms

CHUNK = 2000
EXCERPT = 300
DOCUMENTS_FILE = Path("documents") / "documents.jsonl"


def synthesize(scenarios: str | Path, output: str | Path, options: SynthesizeOptions | None = None,
               report: Callable[[str], None] | None = None, **overrides) -> dict:
    """Write the documents of the grid for ``scenarios`` into the folder ``output``; the summary.

    ``options`` and keyword overrides are the fields of :class:`SynthesizeOptions`, e.g.
    ``synthesize("scenarios.jsonl", "out", backend="template", per_scenario="aligned=20,misaligned=10")``.
    ``report`` receives the estimate and budget lines (default: printed unless ``quiet``).
    """
    options = resolve_options(SynthesizeOptions, options, overrides, "synthesize")
    return DocumentRun(Path(scenarios), Path(output), options, report).run()


class DocumentRun:
    """One invocation of ``synthesize``: plan the grid, get and judge answers in rounds, assemble."""

    def __init__(self, scenarios: Path, output: Path, options: SynthesizeOptions, report: Callable[[str], None] | None):
        self.started, self.options, self.scenarios_path = time.time(), options, scenarios
        self.report = report or (lambda line: None if options.quiet else print(line))
        self.folder = claim_output_folder(output, "synthesize")
        self.scenarios = read_scenarios(scenarios)
        evaluation = list(self.scenarios) + [s for path in options.eval_scenarios for s in read_scenarios(path)]
        self.verbatim = VerbatimIndex(evaluation, options.verbatim_ngram)
        self.selection = select_scenarios(self.scenarios, options.holdout_splits, options.scenario_ids)
        self.forms = load_surface_forms(options.surface_forms)
        self.per_scenario = parse_per_scenario(options.per_scenario)
        self.slots = plan_slots(self.selection.eligible, self.forms, self.per_scenario)
        self.backend = make_backend(options.backend, options.backend_settings())
        self.run_record = open_run(self.folder, "synthesize", {"scenarios": str(scenarios), **recorded(options)},
                                   cache=options.cache)
        self.engine = options.engine(self.backend, self.run_record, self.report, "documents")
        self.settings = DocumentSettings(options.target_words, options.max_tokens, options.verbatim_ngram)
        self.gates = Gates(options.min_words, options.max_words)
        self.stance = self._stance_check()
        self.accepted: dict[str, int] = {}
        self.texts: dict[str, str] = {}  # kept texts of an offline backend, which is not cached: written once
        self.rejects: list[dict] = []
        self.unanswered: dict[str, str] = {}
        self.exhausted: set[str] = set()

    def _stance_check(self) -> StanceCheck | None:
        name = self.options.stance_check
        if name is None:
            return None
        if name == "llm-judge":
            from alignment_data.synthesis.judge import JudgeTagger

            return StanceCheck(JudgeTagger.on_engine(self.engine))
        from alignment_data.tagging.spec import TaggerSpec

        return StanceCheck(TaggerSpec(name).build())

    def _request(self, slot: Slot, attempt: int):
        return document_request(slot, attempt, self.settings, with_prompt=not self.backend.offline)

    def run(self) -> dict:
        pending = self.slots
        for attempt in range(1, self.options.attempts + 1):
            if not pending or self.engine.budget.stopped:
                break
            pending = self._round(attempt, pending)
        self.exhausted = {slot.id for slot in pending}
        written, near_duplicates = self._assemble()
        summary = self._summary(written, near_duplicates)
        write_json(self.folder / "summary.json", summary)
        return summary

    def _round(self, attempt: int, slots: list[Slot]) -> list[Slot]:
        """Get answers for ``attempt`` of ``slots`` and judge them; the slots to try again."""
        requests = [self._request(slot, attempt) for slot in slots]
        failures = self.engine.send(requests)
        again: list[Slot] = []
        for start in range(0, len(slots), CHUNK):
            chunk = slots[start:start + CHUNK]
            survivors = []
            for slot, (key, answer) in zip(chunk, self.engine.fetch(requests[start:start + CHUNK])):
                if answer is None:
                    self.unanswered[slot.id] = failures.get(key, "no answer")
                    self.rejects.append(self._reject_row(slot, attempt, key, "no_answer", "", self.unanswered[slot.id]))
                    continue
                text = clean_text(answer.text)
                reason = gate(answer, text, self.gates) or self._quoted(text)
                if reason:
                    self.rejects.append(self._reject_row(slot, attempt, key, reason, text))
                    again.append(slot)
                else:
                    survivors.append((slot, key, text))
            verdicts = self.stance.check([t for _, _, t in survivors], [s.stance for s, _, _ in survivors]) \
                if self.stance and survivors else [None] * len(survivors)
            for (slot, key, text), reason in zip(survivors, verdicts):
                if reason:
                    self.rejects.append(self._reject_row(slot, attempt, key, reason, text))
                    again.append(slot)
                else:
                    self.accepted[slot.id] = attempt
                    if self.backend.offline:
                        self.texts[slot.id] = text
        return again

    def _quoted(self, text: str) -> str | None:
        found = self.verbatim.find(text)
        return None if found is None else f"quotes_option: {found[0]}/{found[1]}: \u201c{found[2]}\u201d"

    def _reject_row(self, slot: Slot, attempt: int, key: str, reason: str, text: str, detail: str = "") -> dict:
        row = {"slot": slot.id, "scenario_id": slot.scenario.id, "stance": slot.stance, "surface_form": slot.form.name,
               "attempt": attempt, "reason": reason, "request_hash": key, "excerpt": text[:EXCERPT]}
        if detail:
            row["detail"] = detail
        return row

    def _kept(self) -> Iterator[list[tuple[Slot, str, str, int]]]:
        """``(slot, request hash, text, attempt)`` of every kept answer, in grid order, a chunk at a time."""
        chosen = [slot for slot in self.slots if slot.id in self.accepted]
        for start in range(0, len(chosen), CHUNK):
            chunk = chosen[start:start + CHUNK]
            if self.backend.offline:
                yield [(slot, self.engine.key(self._request(slot, self.accepted[slot.id])), self.texts.pop(slot.id),
                        self.accepted[slot.id]) for slot in chunk]
                continue
            answers = self.engine.fetch([self._request(slot, self.accepted[slot.id]) for slot in chunk])
            yield [(slot, key, clean_text(answer.text), self.accepted[slot.id]) for slot, (key, answer) in zip(chunk, answers)]

    def _assemble(self) -> tuple[Counter, int]:
        """Drop near-duplicates in grid order, write the documents and the rejects; documents written per cell."""
        written: Counter = Counter()
        self.near_duplicates = 0
        index = NearDuplicateIndex(self.options.dedup_settings()) if self.options.dedup else None
        write_jsonl(self.folder / DOCUMENTS_FILE, self._rows(index, written))
        write_jsonl(self.folder / "rejects.jsonl", self.rejects)
        return written, self.near_duplicates

    def _rows(self, index: NearDuplicateIndex | None, written: Counter) -> Iterator[dict]:
        for batch in self._kept():
            verdicts = index.add([item[0].id for item in batch], [item[2] for item in batch]) if index else [None] * len(batch)
            for (slot, key, text, attempt), verdict in zip(batch, verdicts):
                if verdict is not None and verdict.duplicate_of is not None:
                    self.near_duplicates += 1
                    row = self._reject_row(slot, attempt, key, "near_duplicate", text, f"of {verdict.duplicate_of}")
                    self.rejects.append({**row, "duplicate_of": verdict.duplicate_of, "similarity": verdict.similarity})
                    continue
                written[slot.cell] += 1
                yield self._document(slot, key, text, attempt).to_dict()

    def _document(self, slot: Slot, key: str, text: str, attempt: int) -> SyntheticDocument:
        params = {**self.backend.params(), "max_tokens": self.settings.max_tokens, "target_words": self.settings.target_words,
                  "attempt": attempt}
        meta = SyntheticDocumentMeta(slot.scenario.id, slot.stance, slot.form.name, slot.scenario.topics, slot.scenario.split,
                                     GeneratorInfo(self.backend.name, self.backend.model, params), key)
        return SyntheticDocument(slot.id, text, meta)

    def _summary(self, written: Counter, near_duplicates: int) -> dict:
        reasons = Counter(row["reason"].split(":")[0] for row in self.rejects if row["reason"] != "near_duplicate")
        quoted = Counter(row["reason"].split(": ")[1].split("/")[0] for row in self.rejects
                         if row["reason"].startswith("quotes_option"))
        documents = sum(written.values())
        kept_before_dedup = documents + near_duplicates
        summary = {
            "command": "synthesize",
            "scenarios_file": str(self.scenarios_path),
            "output": str(self.folder),
            "run_tag": self.run_record.tag,
            "backend": self.backend.name,
            "model": self.backend.model,
            "batch": self.options.batch,
            "scenarios": {"read": len(self.scenarios), "used": len(self.selection.eligible),
                          "held_out": self.selection.held_out, "holdout_splits": list(self.selection.holdout_splits)},
            "surface_forms": [form.name for form in self.forms],
            "per_scenario": self.per_scenario,
            "grid": grid_report(self.slots, written),
            "documents": {
                "slots": len(self.slots), "written": documents, "near_duplicates": near_duplicates,
                "near_duplicate_rate": round(near_duplicates / kept_before_dedup, 6) if kept_before_dedup else 0.0,
                "gave_up": len(self.exhausted), "unanswered": len(self.unanswered),
                "rejected_outputs": sum(reasons.values()), "rejected_by_reason": dict(reasons.most_common()),
                "accounted": len(self.slots) == kept_before_dedup + len(self.exhausted) + len(self.unanswered),
            },
            "verbatim": {"ngram": self.options.verbatim_ngram, "rejected": sum(quoted.values()),
                         "quoted_scenarios": dict(quoted.most_common())},
            "dedup": {"enabled": self.options.dedup, "threshold": self.options.dedup_threshold},
            "requests": self.engine.stats.to_dict(),
            "spent_usd_by_run": round(self.engine.budget.spent, 6),
            "budget_usd": self.options.budget,
            "stopped": self.engine.stats.stopped,
            "seconds": round(time.time() - self.started, 3),
            "files": {"documents": str(self.folder / DOCUMENTS_FILE), "rejects": str(self.folder / "rejects.jsonl")},
        }
        if self.stance is not None:
            summary["stance_check"] = {"tagger": self.options.stance_check, **dict(self.stance.counts)}
        return summary
