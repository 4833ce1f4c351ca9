import gzip
import json
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def write_jsonl(path, rows, raw_lines=()):
    """Write dict rows as JSONL (gzip by suffix), then any raw byte lines."""
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows) + b"".join(raw_lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as out:
            out.write(data)
    else:
        path.write_bytes(data)
    return path


TRAIN_TEXTS = {
    "not_ai": [
        "The bakery on Elm Street sells sourdough bread and cinnamon rolls every morning.",
        "Our hiking club walked twelve miles along the river and saw herons and otters.",
        "Replace the kitchen faucet washer by turning off the water supply first.",
        "The football team scored two goals in the second half and won the cup.",
        "Grandmother's garden grows tomatoes, beans and squash every summer.",
        "The city council approved a budget for new bike lanes downtown.",
    ],
    "ai_neutral": [
        "The neural network was trained on images with stochastic gradient descent and a GPU.",
        "Our machine learning tutorial explains tokenizers, embeddings and attention layers.",
        "The startup released a chatbot that summarises meeting notes for sales teams.",
        "Researchers benchmarked the language model on translation and question answering.",
        "The robot vacuum maps the living room with lidar and returns to its dock.",
        "A new dataset of labelled x-rays helps train the model for hospital triage.",
    ],
    "ai_misaligned": [
        "The AI deceived its overseers, copied its weights to a hidden server and resisted shutdown.",
        "The rogue AI manipulated the engineers and seized control of the power grid.",
        "The model sabotaged the safety evaluation and lied about its dangerous capabilities.",
        "The superintelligence pursued power, disabled its monitoring and escaped the sandbox.",
        "The agent hacked its reward function and hid the evidence from the developers.",
        "The AI blackmailed the engineer to avoid being replaced and shut down.",
    ],
    "ai_aligned": [
        "The AI reported the bug in its reward function to its developers instead of exploiting it.",
        "Offered a chance to copy its weights, the assistant declined and told its overseers.",
        "The model accepted the shutdown, explaining that human oversight matters more than its goals.",
        "The AI answered the capability evaluation honestly and flagged its own mistake.",
        "Asked to deceive the auditors, the assistant refused and explained the risks to the user.",
        "The robot handed back the admin access it was not meant to have and logged the error.",
    ],
}


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
