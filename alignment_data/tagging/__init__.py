"""Taggers for AI discourse: blocklist, fastText and the cascade that chains them."""

from alignment_data.tagging.blocklist import BlocklistTagger
from alignment_data.tagging.cascade import CascadeTagger, ModelStage
from alignment_data.tagging.embedding import DocumentEmbedder, EmbeddingTagger, MissingExtraError
from alignment_data.tagging.evaluate import evaluate_tagger
from alignment_data.tagging.factory import TaggerSpec
from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger
from alignment_data.tagging.policy import FilterPolicy, make_policy
from alignment_data.tagging.termlists import TermCategory, default_categories, read_term_files

__all__ = [
    "BlocklistTagger",
    "CascadeTagger",
    "DocumentEmbedder",
    "EmbeddingTagger",
    "MissingExtraError",
    "FastTextParams",
    "FastTextTagger",
    "FilterPolicy",
    "ModelStage",
    "TaggerSpec",
    "TermCategory",
    "default_categories",
    "evaluate_tagger",
    "make_policy",
    "read_term_files",
]
