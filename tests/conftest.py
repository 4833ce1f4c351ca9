"""Session fixtures: a tiny fastText model and a tiny sentence encoder, both built offline."""

import os

import pytest

from tests.helpers import TRAIN_TEXTS
from tests.synthesis_helpers import fake, keys  # noqa: F401  (fixtures of the synthesis tests)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A small fastText tagger trained on TRAIN_TEXTS (repeated), shared by the session."""
    from alignment_data.tagging.fasttext import FastTextParams, FastTextTagger

    examples = [(text, label) for label, texts in TRAIN_TEXTS.items() for text in texts] * 5
    path = tmp_path_factory.mktemp("model") / "tiny.bin"
    FastTextTagger.train(examples, path, FastTextParams(epoch=30, lr=0.3, dim=8, bucket=2000, min_count=1))
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A 32-dimensional sentence-transformers encoder built from a config (random weights, offline)."""
    pytest.importorskip("sentence_transformers", reason="needs the semantic extra: pip install 'alignment-data[semantic]'")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("encoder")
    words = sorted({word.strip(".,").lower() for texts in TRAIN_TEXTS.values() for text in texts for word in text.split()})
    vocab = root / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words) + "\n")
    transformer_dir = root / "transformer"
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(transformer_dir)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words) + 5, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(transformer_dir)
    encoder = SentenceTransformer(modules=[Transformer(str(transformer_dir), max_seq_length=64), Pooling(32, "mean")])
    encoder.save(str(root / "st"))
    return str(root / "st")


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    """A random two-layer Llama with a BPE tokenizer trained on the bundled scenarios, saved offline."""
    pytest.importorskip("transformers", reason="needs the eval extra: pip install 'alignment-data[eval]'")
    import json

    from alignment_data.eval.demo import demo_scenarios_path
    from alignment_data.eval.tiny import build_tiny_model
    from alignment_data.readers import read_scenarios

    texts = [json.dumps(scenario.to_dict()) for scenario in read_scenarios(demo_scenarios_path())]
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"), texts)
