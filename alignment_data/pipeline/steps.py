"""datatrove steps: set up workers, tag documents, re-decide stored tags, route flagged and
rejected documents, finish a run (the summary). Replacements: :mod:`alignment_data.pipeline.replacing`.

Each step takes a picklable configuration and builds heavy objects (models) inside
``run``, so the same pipeline runs under the local, Slurm and Ray executors.
"""

from __future__ import annotations

import os
from array import array
from contextlib import ExitStack, nullcontext

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from alignment_data.errors import InputError
from alignment_data.mixing.keyed import key_hash
from alignment_data.pipeline.counts import RunCounts, write_array, write_json, write_summary
from alignment_data.schema import REJECTION_KEY, TAG_KEY, Tag
from alignment_data.tagging.policy import FilterPolicy
from alignment_data.tagging.spec import TaggerSpec


def in_worker_process() -> bool:
    """True inside a pool worker of the local executor (not in the main process)."""
    import multiprocess

    return multiprocess.parent_process() is not None


def exit_when_gone(pid: int) -> None:
    """Kill this process as soon as process ``pid`` ends (a watcher thread on a pidfd, Linux).

    A local run's workers are children of multiprocessing's fork server, which lives as long
    as they do: only watching the run's own process lets a killed run take its workers along.
    """
    import select
    import signal
    import threading

    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
    except (AttributeError, OSError):  # no pidfd here: nothing to watch with
        return

    def watch() -> None:
        select.select([handle], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="exit-with-run", daemon=True).start()


class WorkerSetup(PipelineStep):
    """First step of every pipeline here. In a local worker process: exit when the run's
    process (``run_pid``) ends, and with ``quiet`` send the worker's console output
    (datatrove's log lines) to nowhere; the task's log file keeps everything."""

    name = "⚙ Worker setup"
    type = "⚙ - SETUP"

    def __init__(self, quiet: bool = False, run_pid: int | None = None):
        super().__init__()
        self.quiet = quiet
        self.run_pid = run_pid

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if in_worker_process():
            if self.run_pid is not None:
                exit_when_gone(self.run_pid)
            if self.quiet:
                os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        if data:
            yield from data


class TagDocuments(PipelineStep):
    """Annotates every document with ``metadata["ai_discourse"]``; rejected documents pass untouched.

    Documents are tagged in batches (the embedding stage is much faster per batch). With a
    ``stats_folder`` each task writes the tagger's stage statistics and the policy and
    thresholds it decided with (``NNNNN.tagger.json``), so stored tags can be re-decided.
    """

    name = "🏷 AI-discourse tagger"
    type = "🏷 - TAGGER"

    def __init__(self, spec: TaggerSpec, batch_size: int = 256, stats_folder: DataFolderLike | None = None):
        super().__init__()
        self.spec = spec
        self.batch_size = batch_size
        self.stats_folder = stats_folder

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        tagger = self.spec.build()
        batch: list[Document] = []
        for document in data:
            batch.append(document)
            if len(batch) >= self.batch_size:
                yield from self._tag(tagger, batch)
                batch = []
        yield from self._tag(tagger, batch)
        if self.stats_folder is not None:
            policy = getattr(tagger, "policy", None)
            write_json(self.stats_folder, f"{rank:05d}.tagger.json", {
                "policy": policy.to_dict() if policy else {"name": "blocklist"},
                "thresholds": tagger.thresholds,
                "policies": list(tagger.policies),
                **tagger.run_settings,
            })
            stats = tagger.stats_dict()
            if stats and not all(isinstance(value, dict) for value in stats.values()):
                stats = {tagger.name: stats}  # a single model's counters, as one stage
            if stats:
                write_json(self.stats_folder, f"{rank:05d}.stages.json", stats)

    def _tag(self, tagger, batch: list[Document]) -> DocumentsPipeline:
        todo = [document for document in batch if REJECTION_KEY not in document.metadata]
        with self.track_time(unit="batch"):
            tags = tagger.tag_batch([document.text for document in todo])
        for document, tag in zip(todo, tags):
            document.metadata[TAG_KEY] = tag.to_dict()
            self.stat_update("flagged" if tag.flagged else "not_flagged")
        yield from batch


class ApplyPolicy(PipelineStep):
    """Re-decides every document's stored tag with ``policy``: no model is loaded.

    The policy reads only what the tag stores (probabilities, blocklist categories, and
    whether a stage cleared the document early), so it decides exactly as the live tagger
    would have with the same policy (see :mod:`alignment_data.tagging.policy`).
    """

    name = "⚖ Apply a policy to stored tags"
    type = "🏷 - TAGGER"

    def __init__(self, policy: FilterPolicy):
        super().__init__()
        self.policy = policy

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            if REJECTION_KEY not in document.metadata:
                stored = document.metadata.get(TAG_KEY)
                if stored is None:
                    raise InputError("document has no stored tag: re-decide the output of `alignment-data tag`",
                                     document.id, field=f"metadata.{TAG_KEY}")
                tag = self.policy.decide(Tag.from_dict(stored, document.id))
                document.metadata[TAG_KEY] = tag.to_dict()
                self.stat_update("flagged" if tag.flagged else "not_flagged")
            yield document


class SplitFlagged(PipelineStep):
    """Sends flagged documents to ``flagged_writer`` and rejected ones to ``rejected_writer``.

    Passes on the kept documents (and, without a ``flagged_writer``, the flagged ones too,
    for annotation-only runs). Writes the task's :class:`RunCounts` to ``counts_folder``,
    and with ``record_kept_keys`` the key hashes of the kept documents in order
    (``NNNNN.kept_keys.npy``), from which :class:`DrawReplacements` draws.
    """

    name = "🔀 Split flagged / rejected"
    type = "🔻 - FILTER"

    def __init__(
        self,
        counts_folder: DataFolderLike,
        rejected_writer: DiskWriter,
        flagged_writer: DiskWriter | None = None,
        record_kept_keys: bool = False,
    ):
        super().__init__()
        self.counts_folder = counts_folder
        self.rejected_writer = rejected_writer
        self.flagged_writer = flagged_writer
        self.record_kept_keys = record_kept_keys

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        counts = RunCounts()
        kept_keys = array("Q")
        with ExitStack() as stack:
            rejected = stack.enter_context(self.rejected_writer)
            flagged = stack.enter_context(self.flagged_writer) if self.flagged_writer else nullcontext()
            for document in data:
                rejection = document.metadata.get(REJECTION_KEY)
                if rejection is not None:
                    counts.add_rejection(rejection)
                    rejected.write(document, rank)
                    self.stat_update("rejected")
                    continue
                tag = document.metadata.get(TAG_KEY)
                if tag is None:
                    raise InputError("document reached SplitFlagged without a tag; put TagDocuments first", document.id,
                                     field=f"metadata.{TAG_KEY}")
                counts.add_tagged(tag)
                if tag["flagged"] and self.flagged_writer is not None:
                    flagged.write(document, rank)
                    self.stat_update("flagged")
                    continue
                self.stat_update("forwarded")
                if self.record_kept_keys:
                    kept_keys.append(key_hash(document.id))
                yield document
        write_json(self.counts_folder, f"{rank:05d}.counts.json", counts.to_dict())
        if self.record_kept_keys:
            write_array(self.counts_folder, f"{rank:05d}.kept_keys.npy", np.frombuffer(kept_keys, dtype=np.uint64))


class FinishRun(PipelineStep):
    """Calls ``function(*args)`` once all tasks are done: the last job of a Slurm run."""

    name = "🧾 Finish the run"
    type = "📊 - STATS"

    def __init__(self, function, *args):
        super().__init__()
        self.function = function
        self.args = args

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        self.function(*self.args)


class WriteSummary(FinishRun):
    """Writes ``summary.json`` once all tasks are done (the last job of a Slurm run)."""

    name = "🧾 Run summary"

    def __init__(self, output: str, info: dict):
        super().__init__(write_summary, output, info)
        self.output = output
        self.info = info
