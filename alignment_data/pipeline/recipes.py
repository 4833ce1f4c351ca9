"""Ready-made pipelines for tagging and filtering, and the choice of executor.

Output layout of a run folder::

    tagged/ or kept/, flagged/, replacements/   documents (JSONL.gz or Parquet)
    rejected/                                   bad records with file, line, field, reason
    counts/                                     per-task counts and cascade stage stats
    logs/                                       datatrove logs, stats and completion markers
    summary.json                                read = kept + flagged + rejected, and more
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from datatrove.io import get_datafolder
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

from alignment_data.pipeline.counts import write_summary
from alignment_data.pipeline.readers import CorpusReader
from alignment_data.pipeline.steps import ReplaceFlagged, SplitFlagged, TagDocuments, WriteSummary
from alignment_data.schema import InputError
from alignment_data.tagging.factory import TaggerSpec

EXECUTORS = ("local", "slurm", "ray")
OUTPUT_FORMATS = ("jsonl", "parquet")


@dataclass
class ExecutorConfig:
    """Where the pipeline runs: ``local`` (default), ``slurm`` or ``ray``, with their options."""

    kind: str = "local"
    tasks: int = 1
    workers: int = -1
    options: dict[str, Any] = field(default_factory=dict)
    quiet: bool = False  # local runs only: keep datatrove's logs in the log files, off the console

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ValueError(f"unknown executor {self.kind!r}; expected one of {', '.join(EXECUTORS)}")
        if self.tasks < 1:
            raise ValueError("tasks must be at least 1")

    def build(self, pipeline: list, logging_dir: str, tasks: int | None = None, depends=None):
        tasks = self.tasks if tasks is None else tasks
        if self.kind == "local":
            from datatrove.executor import LocalPipelineExecutor

            return LocalPipelineExecutor(
                pipeline, tasks=tasks, workers=min(self.workers, tasks) if self.workers > 0 else tasks,
                logging_dir=logging_dir, depends=depends, **self.options,
            )
        if self.kind == "slurm":
            from datatrove.executor import SlurmPipelineExecutor

            options = {"time": "24:00:00", "partition": "cpu", **self.options}
            return SlurmPipelineExecutor(pipeline, tasks=tasks, workers=self.workers, logging_dir=logging_dir, depends=depends, **options)
        from datatrove.executor import RayPipelineExecutor

        return RayPipelineExecutor(pipeline, tasks=tasks, workers=self.workers, logging_dir=logging_dir, depends=depends, **self.options)


@contextlib.contextmanager
def _console_silenced(silence: bool):
    """Send datatrove's console logging (it logs to ``sys.stderr`` as found at task start) to nowhere."""
    if not silence:
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        yield


def _writer(folder: str, output_format: str, compression: str | None = "gzip"):
    if output_format == "jsonl":
        return JsonlWriter(folder, compression=compression)
    if output_format == "parquet":
        return ParquetWriter(folder, adapter=_parquet_row)
    raise ValueError(f"unknown output format {output_format!r}; expected one of {', '.join(OUTPUT_FORMATS)}")


def _parquet_row(self, document) -> dict:
    # Metadata differs between documents (tags, rejections, replacements), so it is stored as
    # one JSON string column; CorpusReader parses it back.
    return {"id": document.id, "text": document.text, "metadata": orjson.dumps(document.metadata).decode()}


def _reader(input_path: str, text_key: str, id_key: str) -> CorpusReader:
    path = Path(input_path)
    if path.is_file():
        return CorpusReader(str(path.parent), text_key=text_key, id_key=id_key, glob_pattern=path.name)
    if "://" not in input_path and not path.exists():
        raise InputError("no such file or folder", input_path)
    return CorpusReader(input_path, text_key=text_key, id_key=id_key)


def check_output_folder(output: str, resume: bool) -> None:
    """Refuse to write into a non-empty folder unless resuming (datatrove skips finished tasks)."""
    folder = get_datafolder(output)
    if folder.exists("") and folder.list_files(recursive=False, include_directories=True) and not resume:
        raise InputError("output folder is not empty; choose a new one, or pass resume=True / --resume to continue a run", output)


def run_tag(
    input_path: str,
    output: str,
    spec: TaggerSpec,
    executor: ExecutorConfig = ExecutorConfig(),
    output_format: str = "jsonl",
    text_key: str = "text",
    id_key: str = "id",
    batch_size: int = 256,
    resume: bool = False,
) -> dict | None:
    """Annotate every document under ``metadata["ai_discourse"]``; return the summary (local runs)."""
    check_output_folder(output, resume)
    pipeline = [
        _reader(input_path, text_key, id_key),
        TagDocuments(spec, batch_size=batch_size, stats_folder=f"{output}/counts"),
        SplitFlagged(f"{output}/counts", _writer(f"{output}/rejected", "jsonl")),
        _writer(f"{output}/tagged", output_format),
    ]
    return _run(pipeline, output, executor, {"command": "tag", "input": input_path, "tagger": spec.to_dict()})


def run_filter(
    input_path: str,
    output: str,
    spec: TaggerSpec,
    executor: ExecutorConfig = ExecutorConfig(),
    output_format: str = "jsonl",
    replace: bool = True,
    seed: int = 0,
    text_key: str = "text",
    id_key: str = "id",
    batch_size: int = 256,
    resume: bool = False,
) -> dict | None:
    """Write kept and flagged documents apart and, with ``replace``, refill the kept corpus.

    Replacements are copies of kept documents drawn with replacement, one per flagged
    document, written to ``replacements/`` (the study's way to keep the corpus size).
    """
    check_output_folder(output, resume)
    pipeline = [
        _reader(input_path, text_key, id_key),
        TagDocuments(spec, batch_size=batch_size, stats_folder=f"{output}/counts"),
        SplitFlagged(
            f"{output}/counts",
            _writer(f"{output}/rejected", "jsonl"),
            flagged_writer=_writer(f"{output}/flagged", output_format),
        ),
        _writer(f"{output}/kept", output_format),
    ]
    followers = []
    if replace:
        followers.append(
            [ReplaceFlagged(f"{output}/kept", f"{output}/counts", seed=seed), _writer(f"{output}/replacements", output_format)]
        )
    return _run(
        pipeline, output, executor,
        {"command": "filter", "input": input_path, "tagger": spec.to_dict(), "replace": replace, "seed": seed},
        followers,
    )


def _run(pipeline: list, output: str, executor: ExecutorConfig, info: dict, followers: list[list] = ()) -> dict | None:
    start = time.time()
    job = executor.build(pipeline, f"{output}/logs/main")
    for index, follower in enumerate(followers, 1):
        job = executor.build(follower, f"{output}/logs/step{index}", depends=job)
    info = {**info, "executor": executor.kind, "tasks": executor.tasks}
    if executor.kind == "slurm":
        job = executor.build([WriteSummary(output, info)], f"{output}/logs/summary", tasks=1, depends=job)
        job.run()
        return None  # queued: summary.json appears when the jobs finish
    with _console_silenced(executor.quiet and executor.kind == "local"):
        job.run()
    return write_summary(output, {**info, "seconds": round(time.time() - start, 3)})
