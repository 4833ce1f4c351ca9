"""datatrove glue: a strict reader, tagging and filtering steps, ready-made runs."""

from alignment_data.pipeline.readers import CorpusReader
from alignment_data.pipeline.recipes import ExecutorConfig, run_filter, run_tag
from alignment_data.pipeline.steps import ReplaceFlagged, SplitFlagged, TagDocuments, WriteSummary

__all__ = ["CorpusReader", "ExecutorConfig", "ReplaceFlagged", "SplitFlagged", "TagDocuments", "WriteSummary", "run_filter", "run_tag"]
