"""Corpus analysis for notebooks: DataFrames and plots of tagged corpora."""

from alignment_data.analysis.corpus import CorpusReport, analyze_corpus

__all__ = ["CorpusReport", "analyze_corpus"]
