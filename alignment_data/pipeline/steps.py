"""datatrove steps: tag documents, route flagged and rejected ones, replace what was removed.

Each step takes a picklable configuration and builds heavy objects (models) inside
``run``, so the same pipeline runs under the local, Slurm and Ray executors.
"""

from __future__ import annotations

import json
import random
from contextlib import ExitStack, nullcontext

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from alignment_data.io import Rejection
from alignment_data.pipeline.readers import iter_folder_records
from alignment_data.pipeline.counts import RunCounts, write_json, write_summary
from alignment_data.schema import REJECTION_KEY, REPLACEMENT_KEY, TAG_KEY, InputError
from alignment_data.tagging.factory import TaggerSpec


class TagDocuments(PipelineStep):
    """Annotates every document with ``metadata["ai_discourse"]``; rejected documents pass untouched.

    Documents are tagged in batches (the embedding stage is much faster per batch). With a
    ``stats_folder`` the cascade's per-stage counts and times are written per task.
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
        if self.stats_folder is not None and hasattr(tagger, "stats_dict"):
            write_json(self.stats_folder, f"{rank:05d}.stages.json", tagger.stats_dict())

    def _tag(self, tagger, batch: list[Document]) -> DocumentsPipeline:
        todo = [document for document in batch if REJECTION_KEY not in document.metadata]
        with self.track_time(unit="batch"):
            tags = tagger.tag_batch([document.text for document in todo])
        for document, tag in zip(todo, tags):
            document.metadata[TAG_KEY] = tag.to_dict()
            self.stat_update("flagged" if tag.flagged else "not_flagged")
            if tag.label:
                self.stat_update(f"label_{tag.label}")
        yield from batch


class SplitFlagged(PipelineStep):
    """Sends flagged documents to ``flagged_writer`` and rejected ones to ``rejected_writer``.

    Passes on the kept documents (and, without a ``flagged_writer``, the flagged ones too,
    for annotation-only runs). Writes the task's :class:`RunCounts` to ``counts_folder``.
    """

    name = "🔀 Split flagged / rejected"
    type = "🔻 - FILTER"

    def __init__(
        self,
        counts_folder: DataFolderLike,
        rejected_writer: DiskWriter,
        flagged_writer: DiskWriter | None = None,
    ):
        super().__init__()
        self.counts_folder = counts_folder
        self.rejected_writer = rejected_writer
        self.flagged_writer = flagged_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        counts = RunCounts()
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
                    raise InputError("document reached SplitFlagged without a tag; put TagDocuments first", field=TAG_KEY)
                counts.add_tagged(tag)
                if tag["flagged"] and self.flagged_writer is not None:
                    flagged.write(document, rank)
                    self.stat_update("flagged")
                    continue
                self.stat_update("forwarded")
                yield document
        write_json(self.counts_folder, f"{rank:05d}.counts.json", counts.to_dict())


class ReplaceFlagged(PipelineStep):
    """Writes, for each task, as many copies of kept documents as the task flagged.

    The copies are drawn uniformly with replacement from the task's kept file, so the
    filtered corpus keeps its document count, as in the study. Streaming: only the sampled
    line numbers are held in memory. Copies get the id ``<id>#copy<k>`` and
    ``metadata["replacement"] = {"copy_of": <id>}``.
    """

    name = "♻ Replace flagged documents"
    type = "✂️ - FORMAT"

    def __init__(self, kept_folder: DataFolderLike, counts_folder: DataFolderLike, seed: int = 0):
        super().__init__()
        self.kept_folder = kept_folder
        self.counts_folder = counts_folder
        self.seed = seed

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        with get_datafolder(self.counts_folder).open(f"{rank:05d}.counts.json", "r") as stream:
            counts = json.load(stream)
        wanted, available = counts["flagged"], counts["kept"]
        rng = random.Random(f"{self.seed}:{rank}")
        picks: dict[int, int] = {}
        if available:
            for _ in range(wanted):
                index = rng.randrange(available)
                picks[index] = picks.get(index, 0) + 1
        written = 0
        for index, record in enumerate(self._kept_records(rank) if picks else ()):
            for copy in range(picks.get(index, 0)):
                metadata = {**record.metadata, REPLACEMENT_KEY: {"copy_of": record.id}}
                yield Document(text=record.text, id=f"{record.id}#copy{copy}", metadata=metadata)
                written += 1
        write_json(
            self.counts_folder,
            f"{rank:05d}.replace.json",
            {"wanted": wanted, "written": written, "unreplaced": wanted - written},
        )

    def _kept_records(self, rank: int):
        kept = get_datafolder(self.kept_folder)
        for name in sorted(name for name in kept.list_files() if name.startswith(f"{rank:05d}")):
            for record in iter_folder_records(kept, name):
                if isinstance(record, Rejection):
                    raise InputError(f"kept output is unreadable: {record.reason}", record.file, record.line, record.field)
                yield record


class WriteSummary(PipelineStep):
    """Writes ``summary.json`` once all tasks are done (the last job of a Slurm run)."""

    name = "🧾 Run summary"
    type = "📊 - STATS"

    def __init__(self, output: str, info: dict):
        super().__init__()
        self.output = output
        self.info = info

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        write_summary(self.output, self.info)
