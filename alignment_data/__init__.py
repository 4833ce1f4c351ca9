"""alignment-data: curate the AI discourse in pretraining corpora."""

__version__ = "0.1.0"

from alignment_data.schema import LABELS, Tag  # noqa: E402
from alignment_data.tagging import (  # noqa: E402
    BlocklistTagger,
    CascadeTagger,
    EmbeddingTagger,
    FastTextTagger,
    TaggerSpec,
)

__all__ = ["LABELS", "BlocklistTagger", "CascadeTagger", "EmbeddingTagger", "FastTextTagger", "Tag", "TaggerSpec", "__version__"]
