"""Taggers for AI discourse behind one contract: blocklist, fastText, embedding and the cascade."""

from alignment_data.tagging.base import Tagger, register_tagger, tagger_class, tagger_names
from alignment_data.tagging.blocklist import BlocklistOptions, BlocklistTagger
from alignment_data.tagging.cascade import CascadeOptions, CascadeTagger, ModelStage
from alignment_data.tagging.embedding import DocumentEmbedder, EmbeddingOptions, EmbeddingTagger
from alignment_data.tagging.fasttext import FastTextOptions, FastTextParams, FastTextTagger
from alignment_data.tagging.policy import FilterPolicy, make_policy
from alignment_data.tagging.quality import measure_tagger
from alignment_data.tagging.spec import TaggerSpec
from alignment_data.tagging.termlists import TermCategory, default_categories, read_term_files

__all__ = [
    "BlocklistOptions",
    "BlocklistTagger",
    "CascadeOptions",
    "CascadeTagger",
    "DocumentEmbedder",
    "EmbeddingOptions",
    "EmbeddingTagger",
    "FastTextOptions",
    "FastTextParams",
    "FastTextTagger",
    "FilterPolicy",
    "ModelStage",
    "Tagger",
    "TaggerSpec",
    "TermCategory",
    "default_categories",
    "measure_tagger",
    "make_policy",
    "read_term_files",
    "register_tagger",
    "tagger_class",
    "tagger_names",
]
