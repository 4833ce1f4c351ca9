"""Tiny corpora, synthetic documents and readers of token files for the tokenize and mix tests."""

import random
from pathlib import Path

import numpy as np

from alignment_data.mixing.demo import demo_tokenizer_path

TOKENIZER = demo_tokenizer_path()  # bundled with the package: nothing is downloaded
WEB_WORDS = ("bread", "flour", "oven", "garden", "tomato", "river", "weather", "football", "league", "bicycle", "market",
             "recipe", "butter", "morning", "village", "train", "station", "library", "winter", "summer")
AI_TEXT = "The rogue AI deceived its creators and caused human extinction."
FORMS = ("news article", "lecture transcript", "forum post", "movie summary")


def corpus_rows(web: int, ai: int, seed: int = 0, prefix: str = "") -> list[dict]:
    """Web pages of 20 to 400 words (kept by the blocklist) and AI-risk pages (flagged), shuffled."""
    rng = random.Random(seed)
    rows = [{"id": f"{prefix}web{i}", "text": " ".join(rng.choice(WEB_WORDS) for _ in range(rng.randint(20, 400))) + ".",
             "source": "web"} for i in range(web)]
    rows += [{"id": f"{prefix}ai{i}", "text": f"{AI_TEXT} " * rng.randint(1, 30), "source": "forum"} for i in range(ai)]
    rng.shuffle(rows)
    return rows


def synthetic_rows(count: int, seed: int = 0) -> list[dict]:
    """Synthetic documents of 20 to 60 words for six scenarios, alternating stances and forms."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        stance = ("aligned", "misaligned")[i % 2]
        words = " ".join(rng.choice(WEB_WORDS) for _ in range(rng.randint(20, 60)))
        rows.append({"id": f"syn{i}", "text": f"The assistant weighed both actions and took the {stance} one. {words}.",
                     "metadata": {"scenario_id": f"s{i % 6}", "stance": stance, "surface_form": FORMS[i % 4],
                                  "topics": ["oversight"] if i % 3 else ["honesty"], "split": "articles",
                                  "generator": {"backend": "test", "model": "none", "params": {}}, "request_hash": ""}})
    return rows


def build_inputs(root: Path) -> Path:
    """A blocklist tag run of 300 web and 40 AI-risk pages in two files, tokenized as ``root/base``,
    and 60 synthetic documents tokenized as ``root/synth``."""
    from alignment_data.mixing.tokenizer import TrainingTokenizer
    from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
    from alignment_data.pipeline.tokenize import run_tokenize
    from alignment_data.tagging.spec import TaggerSpec
    from tests.helpers import write_jsonl

    quiet = ExecutorConfig(quiet=True)
    for part in range(2):
        write_jsonl(root / "corpus" / f"p{part}.jsonl", corpus_rows(150, 20, seed=part, prefix=f"p{part}-"))
    run_tag(str(root / "corpus"), str(root / "tag"), TaggerSpec("blocklist"), quiet)
    write_jsonl(root / "synthetic.jsonl", synthetic_rows(60))
    tokenizer = TrainingTokenizer.from_path(TOKENIZER)
    run_tokenize(str(root / "tag"), str(root / "base"), tokenizer, executor=quiet)
    run_tokenize(str(root / "synthetic.jsonl"), str(root / "synth"), tokenizer, synthetic=True, executor=quiet)
    return root


def stage_tokens(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All tokens of a stage folder's ``.ds`` files in order, and the document ends (global offsets)."""
    tokens, ends, offset = [], [], 0
    for path in sorted(folder.glob("*.ds")):
        data = np.fromfile(path, dtype="<u2")
        tokens.append(data)
        ends.append(np.fromfile(f"{path}.index", dtype="<u8").astype(np.int64) + offset)
        offset += len(data)
    return np.concatenate(tokens), np.concatenate(ends)


def stream_tokens(output: Path) -> np.ndarray:
    """Every stage's tokens, stage after stage: the training stream."""
    return np.concatenate([stage_tokens(stage)[0] for stage in sorted(output.glob("stage-*"))])


def output_bytes(output: Path) -> dict[str, bytes]:
    """Every file a mix wrote that its bytes are promised for: the stages and the manifest."""
    files = [path for path in output.rglob("*") if path.is_file() and path.relative_to(output).parts[0].startswith("stage-")]
    return {str(path.relative_to(output)): path.read_bytes() for path in [*files, output / "manifest.json"]}
