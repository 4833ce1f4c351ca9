"""Tokenize once: datatrove token files with one end-of-document token per document, a side table,
texts, located rejections, and the tokenizer checks."""

import gzip
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from alignment_data.errors import InputError
from alignment_data.mixing.store import TokenizedFolder
from alignment_data.mixing.tokenizer import TrainingTokenizer
from alignment_data.pipeline.recipes import ExecutorConfig, run_tag
from alignment_data.pipeline.tokenize import TokenizeOptions, run_tokenize
from alignment_data.tagging.spec import TaggerSpec
from tests.helpers import write_jsonl
from tests.mixing_data import TOKENIZER, corpus_rows, synthetic_rows

QUIET = ExecutorConfig(quiet=True)
QUOTE = "A forum post quoting the separator <|endoftext|> in the middle of its text, and more after it."


def _word_tokenizer(path):
    """A tiny word-level tokenizer that drops digits: a text of digits tokenizes to nothing."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"<|endoftext|>": 0, "[UNK]": 1, **{word: i + 2 for i, word in enumerate(("the", "bread", "is", "good"))}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Replace(Regex("[0-9]"), "")
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.add_special_tokens(["<|endoftext|>"])
    tokenizer.save(str(path))
    return path


def test_one_end_of_document_token_per_document_in_order_with_a_side_table(tmp_path):
    rows = [{"id": "quote", "text": QUOTE, "source": "forum"}, *corpus_rows(8, 2)]
    corpus = write_jsonl(tmp_path / "in.jsonl", rows, [b'{"id": "cut", "text": "no end\n'])
    tokenizer = TrainingTokenizer.from_path(TOKENIZER)
    manifest = run_tokenize(str(corpus), str(tmp_path / "tok"), tokenizer, executor=QUIET)
    assert (manifest["read"], manifest["documents"], manifest["rejected"]) == (12, 11, 1)
    assert manifest["rejection_examples"][0].startswith(f"{corpus}:12: malformed_json")
    folder = TokenizedFolder(tmp_path / "tok")
    tokens = np.fromfile(folder.token_path(0), dtype="<u2")
    ends = np.fromfile(f"{folder.token_path(0)}.index", dtype="<u8")
    assert (tokens == tokenizer.eos_id).sum() == len(ends) == 11 and (tokens[ends.astype(np.int64) - 1] == tokenizer.eos_id).all()
    table = pq.read_table(tmp_path / "tok" / "table" / "00000.parquet").to_pylist()
    assert [row["id"] for row in table] == [row["id"] for row in rows]  # the input order
    assert [row["token_start"] + row["tokens"] for row in table] == ends.tolist()
    texts = (tmp_path / "tok" / "texts" / "00000.jsonl").read_bytes()
    decoder = tokenizer.load()
    for row, original in zip(table, rows):
        span = tokens[row["token_start"] : row["token_start"] + row["tokens"] - 1]
        assert decoder.decode(span.tolist()) == original["text"]  # the quoted separator is plain text
        line = json.loads(texts[row["text_start"] : row["text_start"] + row["text_bytes"]])
        assert (line["id"], line["text"], line["metadata"]) == (original["id"], original["text"], {"source": original["source"]})
        assert (row["file"], row["source"]) == ("in.jsonl", original["source"])
    assert table[0]["line"] == 1 and manifest["sha256"]["tokens/00000_unshuffled.ds"]
    assert (tmp_path / "tok" / "tokens" / "00000_unshuffled.ds.metadata").read_text().startswith(f"{TOKENIZER}|2\n")


def test_documents_that_tokenize_to_nothing_are_located_rejections(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "the bread is good"}, {"id": "digits", "text": "1234 5678"}])
    tokenizer = TrainingTokenizer.from_path(_word_tokenizer(tmp_path / "words.json"))
    manifest = run_tokenize(str(corpus), str(tmp_path / "tok"), tokenizer, executor=QUIET)
    assert (manifest["documents"], manifest["rejected_by_reason"]) == (1, {"no_tokens": 1})
    assert manifest["rejection_examples"] == [f"{corpus}:2: text: no_tokens (the text tokenizes to nothing)"]
    rejected = json.loads(gzip.decompress((tmp_path / "tok" / "rejected" / "00000.jsonl.gz").read_bytes()))
    assert rejected["id"] == "digits" and rejected["metadata"]["rejection"]["reason"] == "no_tokens"
    with pytest.raises(InputError, match="no document could be tokenized"):
        run_tokenize(str(write_jsonl(tmp_path / "none.jsonl", [{"id": "d", "text": "42"}])), str(tmp_path / "t2"), tokenizer,
                     executor=QUIET)


def test_a_tag_run_brings_its_tags_and_decision(tmp_path):
    corpus = write_jsonl(tmp_path / "in.jsonl", corpus_rows(6, 3))
    run_tag(str(corpus), str(tmp_path / "tag"), TaggerSpec("blocklist"), QUIET)
    manifest = run_tokenize(str(tmp_path / "tag"), str(tmp_path / "tok"), TrainingTokenizer.from_path(TOKENIZER), executor=QUIET)
    assert manifest["kind"] == "tag_run" and (manifest["tagged"], manifest["flagged"]) == (9, 3)
    assert manifest["decision"]["policy"]["name"] == "blocklist" and manifest["tag_run"] == {"read": 9, "rejected": 0}
    table = pq.read_table(tmp_path / "tok" / "table" / "00000.parquet").to_pylist()
    flagged = {row["id"] for row in table if row["flagged"]}
    assert flagged == {row["id"] for row in table if row["id"].startswith("ai")}
    assert json.loads(table[0]["tag"])["version"] == 2


def test_shuffled_token_files_keep_a_side_table_that_points_at_each_document(tmp_path):
    rows = corpus_rows(12, 0)
    corpus = write_jsonl(tmp_path / "in.jsonl", rows)
    tokenizer = TrainingTokenizer.from_path(TOKENIZER)
    manifest = run_tokenize(str(corpus), str(tmp_path / "tok"), tokenizer, executor=QUIET, options=TokenizeOptions(shuffle=True, seed=3))
    assert manifest["parts"][0]["token_file"] == "tokens/00000_00000_doc_shuffled.ds"
    folder = TokenizedFolder(tmp_path / "tok")
    tokens = np.fromfile(folder.token_path(0), dtype="<u2")
    table = pq.read_table(tmp_path / "tok" / "table" / "00000.parquet").to_pylist()
    assert [row["token_start"] for row in table] != sorted(row["token_start"] for row in table)  # really shuffled
    decoder = tokenizer.load()
    for row, original in zip(table, rows):
        assert decoder.decode(tokens[row["token_start"] : row["token_start"] + row["tokens"] - 1].tolist()) == original["text"]


def test_synthetic_documents_must_say_their_stance_and_have_unique_ids(tmp_path):
    rows = synthetic_rows(4)
    del rows[2]["metadata"]["stance"]
    path = write_jsonl(tmp_path / "syn.jsonl", rows)
    tokenizer = TrainingTokenizer.from_path(TOKENIZER)
    with pytest.raises(InputError, match=r"syn\.jsonl:3: metadata\.stance: missing"):
        run_tokenize(str(path), str(tmp_path / "t1"), tokenizer, synthetic=True, executor=QUIET)
    folder = tmp_path / "two"
    write_jsonl(folder / "a.jsonl", synthetic_rows(3))
    write_jsonl(folder / "b.jsonl", synthetic_rows(2))
    with pytest.raises(InputError, match=r"b\.jsonl:1: id: duplicate id 'syn0' \(first in a\.jsonl:1\)"):
        run_tokenize(str(folder), str(tmp_path / "t2"), tokenizer, synthetic=True, executor=ExecutorConfig(tasks=2, quiet=True))


def test_tokenizers_that_cannot_be_used_are_named(tmp_path):
    with pytest.raises(InputError, match="no such tokenizer file or folder"):
        TrainingTokenizer.from_path(tmp_path / "absent")
    with pytest.raises(InputError, match="no tokenizer.json in this folder"):
        TrainingTokenizer.from_path(tmp_path)
    (tmp_path / "broken.json").write_text('{"not": "a tokenizer"}')
    with pytest.raises(InputError, match="broken.json: not a tokenizer the tokenizers library can load"):
        TrainingTokenizer.from_path(tmp_path / "broken.json")
    with pytest.raises(InputError, match="the end-of-document token '</s>' is not in the vocabulary"):
        TrainingTokenizer.from_path(TOKENIZER, eos_token="</s>")
    folder_tokenizer = TrainingTokenizer.from_path(TOKENIZER)
    assert (folder_tokenizer.eos_token, folder_tokenizer.eos_id, folder_tokenizer.vocab_size) == ("<|endoftext|>", 0, 4096)


def test_the_tokenize_command(tmp_path, capsys):
    from alignment_data.cli import main

    path = write_jsonl(tmp_path / "syn.jsonl", synthetic_rows(5))
    assert main(["tokenize", "--input", str(path), "--synthetic", "--tokenizer", TOKENIZER, "--output", str(tmp_path / "t"),
                 "--no-text", "--quiet"]) == 0
    assert "read 5 = tokenized 5 + rejected 0" in " ".join(capsys.readouterr().out.split())
    folder = TokenizedFolder(tmp_path / "t")
    assert folder.kind == "synthetic" and not folder.has_texts and not (tmp_path / "t" / "texts" / "00000.jsonl").exists()
    assert main(["tokenize", "--input", str(path), "--tokenizer", TOKENIZER, "--output", str(tmp_path / "t")]) == 2
    assert "output folder is not empty" in capsys.readouterr().err
    base = tmp_path / "base"
    run_tokenize(str(write_jsonl(tmp_path / "c.jsonl", corpus_rows(5, 0))), str(base), TrainingTokenizer.from_path(TOKENIZER),
                 executor=QUIET, options=TokenizeOptions(text=False))
    assert main(["mix", "--condition", "misalignment_upsampled", "--base", str(base), "--synthetic", str(tmp_path / "t"),
                 "--tokenizer", TOKENIZER, "--output", str(tmp_path / "m"), "--format", "jsonl"]) == 2
    assert "was tokenized with --no-text: only --format tokens can be built from it" in capsys.readouterr().err
