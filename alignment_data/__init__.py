"""alignment-data: curate the AI discourse in pretraining corpora."""

__version__ = "0.1.0"

from alignment_data.schema import LABELS, Tag  # noqa: E402
from alignment_data.tagging import BlocklistTagger, CascadeTagger, FastTextTagger, TaggerSpec  # noqa: E402

__all__ = ["LABELS", "BlocklistTagger", "CascadeTagger", "FastTextTagger", "Tag", "TaggerSpec", "__version__"]
