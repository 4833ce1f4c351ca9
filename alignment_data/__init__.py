"""alignment-data: curate the AI discourse in pretraining corpora."""

__version__ = "0.1.0"

from alignment_data.errors import AlignmentDataError, ConfigError, InputError, MissingExtraError  # noqa: E402
from alignment_data.mixing import DiscourseMixer, MixSettings, Recipe  # noqa: E402
from alignment_data.readers import read_labelled, read_scenarios, read_synthetic_documents  # noqa: E402
from alignment_data.schema import LABELS, Scenario, SyntheticDocument, SyntheticDocumentMeta, Tag  # noqa: E402
from alignment_data.tagging import (  # noqa: E402
    BlocklistTagger,
    CascadeTagger,
    EmbeddingTagger,
    FastTextTagger,
    Tagger,
    TaggerSpec,
    register_tagger,
)

__all__ = [
    "LABELS",
    "AlignmentDataError",
    "BlocklistTagger",
    "CascadeTagger",
    "ConfigError",
    "DiscourseMixer",
    "EmbeddingTagger",
    "FastTextTagger",
    "InputError",
    "MissingExtraError",
    "MixSettings",
    "Recipe",
    "Scenario",
    "SyntheticDocument",
    "SyntheticDocumentMeta",
    "Tag",
    "Tagger",
    "TaggerSpec",
    "__version__",
    "read_labelled",
    "read_scenarios",
    "read_synthetic_documents",
    "register_tagger",
]
