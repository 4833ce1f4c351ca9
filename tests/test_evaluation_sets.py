"""The evaluation sets under data/unseen*: readable, with all four labels, and apart from the labelled set.

They are written apart for reporting only; a text of one of them in the labelled set (which
trains and tunes the models) would make its figures a measure of memory, not of reading.
"""

from pathlib import Path

import pytest

from alignment_data.readers import read_labelled
from alignment_data.schema import LABELS
from alignment_data.tagging.normalize import normalize

DATA = Path(__file__).resolve().parents[1] / "data"
SETS = sorted(path for path in DATA.glob("unseen*") if path.is_dir())
# the texts that train the shipped models, and those kept for a later round's models (data/labelled/pending)
LABELLED = tuple(folder for folder in (DATA / "labelled" / "written", DATA / "labelled" / "pending")
                 if any(folder.glob("*.jsonl")))


def _normal(text: str) -> str:
    """The text as the blocklist reads it (case, punctuation and spacing aside), single-spaced."""
    return " ".join(normalize(text).split())


def test_there_are_evaluation_sets():
    assert len(SETS) >= 10  # a glob that finds nothing would make the tests below vacuous


@pytest.mark.parametrize("folder", SETS, ids=[path.name for path in SETS])
def test_an_evaluation_set_reads_strictly_with_every_label(folder):
    documents = read_labelled(folder)
    assert {doc.label for doc in documents} == set(LABELS)
    assert (folder / "README.md").is_file()


def test_no_evaluation_text_or_id_is_in_the_labelled_set_or_in_another_set():
    labelled = [doc for folder in LABELLED for doc in read_labelled(folder)]
    labelled_texts = {_normal(doc.text) for doc in labelled}
    assert len(labelled_texts) == len(labelled), "a labelled text repeats, within or across written/ and pending/"
    owner: dict[str, str] = {doc.id: "labelled" for doc in labelled}
    assert len(owner) == len(labelled), "a labelled id repeats across written/ and pending/"
    texts: dict[str, str] = {}
    for folder in SETS:
        for doc in read_labelled(folder):
            assert _normal(doc.text) not in labelled_texts, f"{folder.name}/{doc.id} is in the labelled set"
            assert owner.setdefault(doc.id, folder.name) == folder.name, f"id {doc.id} in {folder.name} and {owner[doc.id]}"
            assert texts.setdefault(_normal(doc.text), folder.name) == folder.name, f"{folder.name}/{doc.id} repeats a text"
