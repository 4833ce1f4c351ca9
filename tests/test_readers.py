import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from alignment_data.errors import InputError
from alignment_data.readers import iter_records, read_labelled
from alignment_data.schema import Record, Rejection
from tests.helpers import write_jsonl


def _reasons(path, **kwargs):
    return [(r.line, r.field, r.reason) if isinstance(r, Rejection) else ("ok", r.id) for r in iter_records(path, **kwargs)]


def test_every_bad_line_becomes_a_located_rejection(tmp_path):
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": "good", "text": "fine text", "source": "web"}],
        raw_lines=[
            b'{"id": "cut", "text": "unterminated\n',
            b'{"id": "bad-utf8", "text": "caf\xe9"}\n',
            b'["not", "an", "object"]\n',
            b'{"id": "missing"}\n',
            b'{"id": "number", "text": 42}\n',
            b'{"id": "blank", "text": "  \\n "}\n',
            b"\n",
            b'{"text": "no id given"}\n',
        ],
    )
    assert _reasons(path) == [
        ("ok", "good"),
        (2, None, "malformed_json"),
        (3, None, "invalid_utf8"),
        (4, None, "not_an_object"),
        (5, "text", "missing_text"),
        (6, "text", "text_not_a_string"),
        (7, "text", "empty_text"),
        ("ok", f"{path}:9"),
    ]


def test_record_keeps_other_fields_and_nested_metadata_as_metadata(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": 5, "text": "t", "source": "web", "metadata": {"url": "u"}}])
    (record,) = list(iter_records(path))
    assert isinstance(record, Record)
    assert (record.id, record.metadata) == ("5", {"source": "web", "url": "u"})


def test_a_nested_field_never_silently_replaces_a_top_level_one(tmp_path):
    rows = [{"id": "a", "text": "t", "source": "web", "metadata": {"source": "crawl", "url": "u"}},
            {"id": "b", "text": "t", "source": "web", "metadata": {"source": "web"}}]
    first, second = iter_records(write_jsonl(tmp_path / "c.jsonl", rows))
    assert first.metadata == {"source": "web", "metadata.source": "crawl", "url": "u"}
    assert second.metadata == {"source": "web"}


def test_rejections_keep_the_record_id_and_say_which_keys_it_had(tmp_path):
    (rejection,) = iter_records(write_jsonl(tmp_path / "c.jsonl", [{"id": "x1", "body": "b", "url": "u"}]))
    assert (rejection.id, rejection.reason, rejection.detail) == ("x1", "missing_text", "the record's keys: body, url")


def test_documents_over_the_size_limit_are_rejected(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "big", "text": "x" * 500}, {"id": "small", "text": "x"}])
    assert _reasons(path, max_bytes=100) == [(1, None, "too_large"), ("ok", "small")]


def test_truncated_gzip_yields_one_rejection_where_reading_stopped(tmp_path):
    rows = [{"id": str(i), "text": "word " * 200} for i in range(200)]
    path = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    results = list(iter_records(path))
    assert all(isinstance(r, Record) for r in results[:-1])
    last = results[-1]
    assert isinstance(last, Rejection) and last.reason == "truncated_file"
    assert last.line == len(results)


def test_zstd_and_parquet_inputs(tmp_path):
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(b'{"id": "z", "text": "zstd text"}\n'))
    table = pa.table({"id": ["p1", "p2"], "text": ["parquet text", None], "source": ["x", "y"]})
    pq.write_table(table, tmp_path / "b.parquet")
    assert _reasons(tmp_path) == [("ok", "z"), ("ok", "p1"), (2, "text", "text_not_a_string")]


def test_parquet_without_the_text_column_is_an_error(tmp_path):
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "b.parquet")
    with pytest.raises(InputError, match=r"b\.parquet: text: no column 'text'"):
        list(iter_records(tmp_path / "b.parquet"))


def test_unsupported_files_and_missing_paths_are_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="unsupported file type"):
        list(iter_records(tmp_path / "notes.txt"))
    with pytest.raises(InputError, match="no corpus files found"):
        list(iter_records(tmp_path))
    with pytest.raises(InputError, match="no such file or folder"):
        list(iter_records(tmp_path / "absent"))


def test_read_labelled_is_strict(tmp_path):
    good = write_jsonl(tmp_path / "l.jsonl", [{"id": "a", "text": "t", "label": "not_ai", "surface_form": "post"}])
    (doc,) = read_labelled(good)
    assert (doc.id, doc.label, doc.fields) == ("a", "not_ai", {"surface_form": "post"})
    bad_label = write_jsonl(tmp_path / "b.jsonl", [{"id": "a", "text": "t", "label": "not_ai"}, {"id": "b", "text": "t", "label": "harmful"}])
    with pytest.raises(InputError, match=r"b\.jsonl:2: label: unknown label 'harmful'"):
        read_labelled(bad_label)
    duplicate = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "t", "label": "not_ai"}] * 2)
    with pytest.raises(InputError, match=r"d\.jsonl:2: id: duplicate id 'a' \(first on line 1\)"):
        read_labelled(duplicate)
    empty = write_jsonl(tmp_path / "e.jsonl", [{"id": "a", "text": "", "label": "not_ai"}])
    with pytest.raises(InputError, match=r"e\.jsonl:1: text: empty_text"):
        read_labelled(empty)


def test_truncated_labelled_gzip_is_an_error(tmp_path):
    path = write_jsonl(tmp_path / "l.jsonl.gz", [{"id": str(i), "text": " ".join(str(i * j) for j in range(300)), "label": "not_ai"} for i in range(100)])
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(InputError, match="truncated_file"):
        read_labelled(path)
