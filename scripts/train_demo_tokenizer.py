"""Train the small byte-level BPE tokenizer the demo, the tests and the tiny trainers use.

A GPT-2-style byte-level BPE (every byte is in the alphabet, so any text encodes and
decodes back exactly) with a vocabulary of 4,096 and one special token, ``<|endoftext|>``
(id 0), the end-of-document token the token files put after every document. Trained on
the bundled demo corpus and the external real web and AI-discourse texts; the texts are
fed in a fixed order, so a rerun writes the same ``tokenizer.json``.

    python scripts/train_demo_tokenizer.py --external ../shared/external
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "alignment_data" / "data" / "demo_tokenizer"
VOCAB_SIZE = 4096
EOS = "<|endoftext|>"


def texts(external: Path) -> list[str]:
    """Demo corpus texts, then the external web and AI-discourse texts, in file order."""
    out = []
    with gzip.open(ROOT / "alignment_data" / "data" / "demo_corpus.jsonl.gz", "rt", encoding="utf-8") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the demo corpus holds deliberately broken lines
            if isinstance(record.get("text"), str):
                out.append(record["text"])
    for folder in ("web-sample", "ai-discourse-real"):
        for path in sorted((external / folder).glob("*.jsonl")):
            out.extend(json.loads(line)["text"] for line in path.open(encoding="utf-8"))
    return out


def main() -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", required=True, type=Path)
    args = parser.parse_args()
    corpus = texts(args.external)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, special_tokens=[EOS], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(corpus, trainer)
    for text in corpus[:200]:
        assert tokenizer.decode(tokenizer.encode(text).ids) == text, "byte-level BPE must decode back exactly"
    OUT.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(OUT / "tokenizer.json"), pretty=False)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": EOS, "bos_token": EOS, "unk_token": EOS,
              "model_max_length": 1_000_000, "clean_up_tokenization_spaces": False}
    (OUT / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    size = (OUT / "tokenizer.json").stat().st_size
    print(f"{OUT}/tokenizer.json: vocabulary {tokenizer.get_vocab_size()}, {size / 1e3:.0f} kB, trained on {len(corpus)} texts")


if __name__ == "__main__":
    main()
