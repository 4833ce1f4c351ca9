"""datatrove glue: a strict reader, tagging, policy and filtering steps, ready-made runs."""

from alignment_data.pipeline.corpus_reader import CorpusReader, corpus_reader
from alignment_data.pipeline.recipes import ExecutorConfig, FilterOptions, RunOptions, run_filter, run_filter_from_tags, run_tag
from alignment_data.pipeline.replacing import DrawReplacements, ReplaceFlagged
from alignment_data.pipeline.steps import ApplyPolicy, FinishRun, SplitFlagged, TagDocuments, WorkerSetup, WriteSummary

__all__ = [
    "ApplyPolicy",
    "CorpusReader",
    "DrawReplacements",
    "ExecutorConfig",
    "FinishRun",
    "FilterOptions",
    "ReplaceFlagged",
    "RunOptions",
    "SplitFlagged",
    "TagDocuments",
    "WorkerSetup",
    "WriteSummary",
    "corpus_reader",
    "run_filter",
    "run_filter_from_tags",
    "run_tag",
]
