"""Ready-made pipelines for tagging and filtering, and the choice of executor.

Output layout of a run folder::

    tagged/ or kept/, flagged/, replacements/   documents (JSONL.gz or Parquet)
    rejected/                                   bad records with file, line, field, reason
    counts/                                     per-task counts, the policy used, stage stats
    logs/                                       datatrove logs, stats and completion markers
    run.json                                    what was run (a resumed run must match it)
    summary.json                                read = kept + flagged + rejected, and more
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from datatrove.io import get_datafolder
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

from alignment_data.errors import ConfigError, InputError, unknown_choice
from alignment_data.mixing.decision import policy_from_decision
from alignment_data.options import option
from alignment_data.pipeline.corpus_reader import corpus_reader
from alignment_data.pipeline.counts import check_not_all_rejected, read_json, write_json, write_summary
from alignment_data.pipeline.replacing import DrawReplacements, ReplaceFlagged
from alignment_data.pipeline.steps import ApplyPolicy, SplitFlagged, TagDocuments, WorkerSetup, exit_when_gone
from alignment_data.readers import InputFiles
from alignment_data.tagging.spec import TaggerSpec

EXECUTORS = ("local", "slurm", "ray")
OUTPUT_FORMATS = ("jsonl", "parquet")
# run.json keys that must not change when a run is resumed
RESUME_KEYS = ("command", "input", "from_tags", "tagger", "policy", "output_format", "text_key", "id_key", "replace",
               "seed", "tasks")


@dataclass
class ExecutorConfig:
    """Where the pipeline runs: ``local`` (default), ``slurm`` or ``ray``, with their options."""

    kind: str = option("local", "where the pipeline runs", choices=EXECUTORS, flag="executor")
    tasks: int = option(1, "number of tasks (input files are split between them)")
    workers: int = option(-1, "tasks run at once; -1 runs them all at once")
    options: dict[str, Any] = option({}, cli=False)
    quiet: bool = option(False, "local runs: datatrove's logs go to the run's log files only")

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise unknown_choice("executor", self.kind, EXECUTORS)
        if self.tasks < 1:
            raise ConfigError(f"tasks must be at least 1, got {self.tasks}")

    def build(self, pipeline: list, logging_dir: str, tasks: int | None = None, depends=None):
        tasks = self.tasks if tasks is None else tasks
        pipeline = [WorkerSetup(self.quiet, os.getpid() if self.kind == "local" else None), *pipeline]
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


@dataclass(frozen=True)
class RunOptions:
    """How a run reads its input and writes its documents."""

    output_format: str = option("jsonl", "format of the document outputs", choices=OUTPUT_FORMATS)
    text_key: str = option("text", "field of a record that holds its text")
    id_key: str = option("id", "field of a record that holds its id (records without one get file:line)")
    batch_size: int = option(256, "documents tagged at once")

    def __post_init__(self) -> None:
        if self.output_format not in OUTPUT_FORMATS:
            raise unknown_choice("output format", self.output_format, OUTPUT_FORMATS)


@dataclass(frozen=True)
class FilterOptions:
    """How a filter run refills the corpus."""

    replace: bool = option(True, "write a replacement copy of a kept document for every flagged one")
    seed: int = option(0, "seed for drawing replacements")


class _RunProcess:
    """Processes that datatrove's local executor forks (its multiprocessing manager) exit with the run."""

    pid = os.getpid()


_RUN = _RunProcess()


@contextlib.contextmanager
def _console(quiet: bool):
    """With ``quiet``, datatrove's console logging goes nowhere for the run (log files keep it).

    Pool workers are forked by multiprocessing's fork server, started by the first run of a
    Python process with several workers: in a session whose first such run was not quiet,
    a quiet run's workers still print their first two lines (WorkerSetup silences the rest).
    """
    import multiprocess.util

    _RUN.pid = os.getpid()
    multiprocess.util.register_after_fork(_RUN, lambda run: exit_when_gone(run.pid))
    if not quiet:
        yield
        return
    from loguru import logger

    # the worker processes (and multiprocessing's fork server, when this run starts it)
    # inherit file descriptor 2, so the console is silenced at that level as well
    saved = os.dup(2)
    logger.remove()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            logger.remove()
    logger.add(sys.stderr)


def _writer(folder: str, output_format: str):
    if output_format == "parquet":
        return ParquetWriter(folder, adapter=_parquet_row)
    return JsonlWriter(folder, compression="gzip")


def _parquet_row(self, document) -> dict:
    # Metadata differs between documents (tags, rejections), so it is stored as one JSON
    # string column; CorpusReader parses it back.
    return {"id": document.id, "text": document.text, "metadata": orjson.dumps(document.metadata).decode()}


def check_output_folder(output: str, resume: bool) -> None:
    """Refuse to write into a non-empty folder unless resuming (datatrove skips finished tasks)."""
    folder = get_datafolder(output)
    if folder.exists("") and folder.list_files(recursive=False, include_directories=True) and not resume:
        raise InputError("output folder is not empty; choose a new one, or pass resume=True / --resume to continue a run", output)


def _start(output: str, info: dict, resume: bool) -> None:
    """Record what the run is (``run.json``); a resumed run must be the same run."""
    check_output_folder(output, resume)
    previous = read_json(output, "run.json") if resume else None
    info = json.loads(json.dumps(info))  # compare as stored
    if previous is not None:
        changed = [key for key in RESUME_KEYS if previous.get(key) != info.get(key)]
        if changed:
            details = "; ".join(f"{key} was {previous.get(key)!r}, now {info.get(key)!r}" for key in changed)
            raise InputError(f"--resume with other options than the run being resumed ({details}); "
                             "start a new run folder instead", f"{output}/run.json")
    write_json(output, "run.json", info)


def _skipped(files: InputFiles) -> dict:
    return {"count": len(files.skipped), "examples": list(files.skipped[:10])}


def _prepare(command: str, input_path: str, output: str, spec, executor, options, resume: bool, **extra):
    """Defaults, the reader of the input and the recorded ``run.json`` of a run that tags a corpus."""
    spec, executor, options = spec or TaggerSpec(), executor or ExecutorConfig(), options or RunOptions()
    reader, files = corpus_reader(input_path, options.text_key, options.id_key)
    info = {"command": command, "input": input_path, "tagger": spec.to_dict(), "policy": spec.policy,
            **_run_info(options, executor), **extra, "skipped_files": _skipped(files)}
    _start(output, info, resume)
    tag = TagDocuments(spec, batch_size=options.batch_size, stats_folder=f"{output}/counts")
    return reader, tag, executor, options, info


def run_tag(
    input_path: str,
    output: str,
    spec: TaggerSpec | None = None,
    executor: ExecutorConfig | None = None,
    options: RunOptions | None = None,
    resume: bool = False,
) -> dict | None:
    """Annotate every document under ``metadata["ai_discourse"]``; return the summary (local runs)."""
    reader, tag, executor, options, info = _prepare("tag", input_path, output, spec, executor, options, resume)
    pipeline = [
        reader,
        tag,
        SplitFlagged(f"{output}/counts", _writer(f"{output}/rejected", "jsonl")),
        _writer(f"{output}/tagged", options.output_format),
    ]
    return _run(pipeline, output, executor, info)


def run_filter(
    input_path: str,
    output: str,
    spec: TaggerSpec | None = None,
    executor: ExecutorConfig | None = None,
    options: RunOptions | None = None,
    refill: FilterOptions = FilterOptions(),
    resume: bool = False,
) -> dict | None:
    """Write kept and flagged documents apart and, with ``refill.replace``, refill the kept corpus.

    Replacements are copies of kept documents drawn with replacement, one per flagged
    document, written to ``replacements/`` (the study's way to keep the corpus size).
    """
    reader, tag, executor, options, info = _prepare("filter", input_path, output, spec, executor, options, resume,
                                                    **asdict(refill))
    return _filter(reader, tag, output, executor, options, refill, info)


def run_filter_from_tags(
    tag_run: str,
    output: str,
    policy: str | None = None,
    threshold: float | None = None,
    executor: ExecutorConfig | None = None,
    options: RunOptions | None = None,
    refill: FilterOptions = FilterOptions(),
    resume: bool = False,
) -> dict | None:
    """:func:`run_filter` deciding from the stored tags of a finished ``tag`` run: no model is loaded.

    ``policy`` and ``threshold`` default to those the tag run decided with; another policy
    takes the threshold the tagger tuned for it. With the same policy the kept, flagged and
    replacement documents equal those of a live :func:`run_filter` with the same tasks.
    """
    executor, options = executor or ExecutorConfig(), options or RunOptions()
    summary = read_json(tag_run, "summary.json")
    if summary is None or summary.get("command") != "tag" or "decision" not in summary:
        raise InputError("not a finished `alignment-data tag` run (no summary.json with its decision)", tag_run)
    decision = summary["decision"]
    chosen = policy_from_decision(decision, summary["tagger"]["name"], policy, threshold)
    name = chosen.name
    reader, files = corpus_reader(f"{tag_run}/tagged", "text", "id")
    info = {"command": "filter", "from_tags": tag_run, "input": summary.get("input"), "tagger": summary["tagger"],
            "policy": name, **_run_info(options, executor), **asdict(refill),
            "tag_run": {key: summary[key] for key in ("read", "rejected")}}
    _start(output, info, resume)
    write_json(f"{output}/counts", "00000.tagger.json", {**decision, "policy": chosen.to_dict()})
    return _filter(reader, ApplyPolicy(chosen), output, executor, options, refill, info)


def _run_info(options: RunOptions, executor: ExecutorConfig) -> dict:
    return {**{key: value for key, value in asdict(options).items() if key != "batch_size"},
            "executor": executor.kind, "tasks": executor.tasks}


def _filter(reader, decide, output, executor, options, refill: FilterOptions, info) -> dict | None:
    pipeline = [
        reader,
        decide,
        SplitFlagged(
            f"{output}/counts",
            _writer(f"{output}/rejected", "jsonl"),
            flagged_writer=_writer(f"{output}/flagged", options.output_format),
            record_kept_keys=refill.replace,
        ),
        _writer(f"{output}/kept", options.output_format),
    ]
    followers = []
    if refill.replace:
        followers.append([DrawReplacements(f"{output}/counts", seed=refill.seed)])
        followers.append([ReplaceFlagged(f"{output}/kept", f"{output}/counts", seed=refill.seed),
                          _writer(f"{output}/replacements", options.output_format)])
    return _run(pipeline, output, executor, info, followers)


def _run(pipeline: list, output: str, executor: ExecutorConfig, info: dict, followers: list[list] = ()) -> dict | None:
    from alignment_data.pipeline.steps import WriteSummary

    start = time.time()
    job = executor.build(pipeline, f"{output}/logs/main")
    for index, follower in enumerate(followers, 1):
        job = executor.build(follower, f"{output}/logs/step{index}", depends=job)
    if executor.kind == "slurm":
        job = executor.build([WriteSummary(output, info)], f"{output}/logs/summary", tasks=1, depends=job)
        job.run()
        return None  # queued: summary.json appears when the jobs finish
    with _console(executor.quiet and executor.kind == "local"):
        job.run()
    summary = write_summary(output, {**info, "seconds": round(time.time() - start, 3)})
    check_not_all_rejected(summary, output)
    return summary
