"""Keyed draws: uniform, exact to a count or within a token budget, the same however the pool is split."""

import gzip
import json
from collections import Counter

import numpy as np

from alignment_data.mixing.keyed import key_hashes, uniforms
from alignment_data.mixing.replacement import (
    Arrivals,
    Budget,
    arrivals_before,
    count_horizon,
    cutoff,
    fit,
    with_replacement,
    without_replacement,
)
from alignment_data.pipeline.recipes import ExecutorConfig, FilterOptions, run_filter
from alignment_data.tagging.spec import TaggerSpec
from tests.helpers import write_jsonl

HASHES = key_hashes(f"doc-{i}" for i in range(10))


def _rows(arrivals):
    return sorted(zip(arrivals.index.tolist(), arrivals.number.tolist(), arrivals.time.tolist(), arrivals.hash.tolist()))


def test_keyed_numbers_depend_on_key_seed_and_purpose_only():
    one = uniforms(HASHES, 3, "replacement", 1)
    assert np.array_equal(one[::-1], uniforms(HASHES[::-1], 3, "replacement", 1))
    assert not np.array_equal(one, uniforms(HASHES, 4, "replacement", 1))
    assert not np.array_equal(one, uniforms(HASHES, 3, "placement", 1))
    assert ((one > 0) & (one < 1)).all()


def test_draws_with_replacement_are_uniform_and_exact_to_a_count():
    draw = with_replacement(HASHES, np.ones(10), Budget.documents(20_000), seed=1, purpose="replacement")
    assert len(draw.index) == 20_000 and draw.in_range
    counts = Counter(draw.index.tolist())
    assert set(counts) == set(range(10))
    assert all(1_800 < count < 2_200 for count in counts.values())  # 2,000 expected, sd 42
    assert draw.copy.max() == max(counts.values()) - 1  # the k-th copy of a document is numbered k-1


def test_any_split_of_the_pool_draws_the_same_documents():
    hashes = key_hashes(f"kept-{i}" for i in range(300))
    wanted = 120
    horizon = count_horizon(wanted, len(hashes))
    whole = arrivals_before(hashes, horizon, 5, "replacement")
    whole_pick = _rows(whole.not_after(cutoff(whole, wanted)))
    parts = [arrivals_before(hashes[start:stop], horizon, 5, "replacement", np.arange(start, stop))
             for start, stop in ((0, 17), (17, 200), (200, 300))]
    last = cutoff(Arrivals.concat(parts), wanted)
    split_pick = Arrivals.concat([part.not_after(last) for part in parts])
    assert len(split_pick) == wanted
    assert _rows(split_pick) == whole_pick
    reference = with_replacement(hashes, np.ones(300), Budget.documents(wanted), 5, "replacement")
    assert sorted(reference.index.tolist()) == sorted(split_pick.index.tolist())


def test_a_token_budget_is_met_within_its_range():
    rng = np.random.default_rng(0)
    weights = rng.integers(50, 2_000, size=500)
    budget = Budget(40_000, 39_960, 40_040)  # 0.1%
    draw = with_replacement(key_hashes(map(str, range(500))), weights, budget, 2, "replacement")
    assert draw.in_range and budget.low <= draw.weight <= budget.high
    assert draw.weight == int(weights[draw.index].sum())


def test_fit_prefers_the_closer_prefix_and_searches_ahead_when_both_miss():
    taken, ok = fit(np.array([10, 10, 10]), Budget(14, 14, 16))
    assert ok is False and taken.tolist() == [0]  # 10 and 20 both miss; the closer one is returned
    taken, ok = fit(np.array([10, 10, 50, 5]), Budget(24, 24, 26))
    assert ok and taken.tolist() == [0, 1, 3]  # 20 + 5: the 50 is skipped for the 5 after it
    assert fit(np.array([5, 5]), Budget(0, 0, 0))[0].tolist() == []


def test_a_small_pool_repeats_in_epochs_and_a_large_one_is_sampled_without_replacement():
    weights = np.full(10, 100)
    small = without_replacement(HASHES, weights, Budget(2_500, 2_500, 2_500), 0, "synthetic")
    assert small.weight == 2_500 and small.epochs == 2.5
    assert Counter(small.copy.tolist()) == {0: 10, 1: 10, 2: 5}
    assert Counter(small.index.tolist()).most_common(1)[0][1] == 3
    large = without_replacement(HASHES, weights, Budget(400, 400, 400), 0, "synthetic")
    assert len(set(large.index.tolist())) == len(large.index) == 4 and set(large.copy.tolist()) == {0}


DOCS = [{"id": f"web{i}", "text": f"Recipe {i}: bread, butter and jam."} for i in range(12)]
DOCS += [{"id": f"ai{i}", "text": "The rogue AI deceived its creators and caused human extinction."} for i in range(5)]


def test_filter_draws_the_same_copies_whatever_the_number_of_tasks(tmp_path):
    folder = tmp_path / "in"
    for part in range(3):
        write_jsonl(folder / f"p{part}.jsonl", [{**doc, "id": f"{doc['id']}-{part}"} for doc in DOCS[part::3]])

    def copies(name, count):
        out = tmp_path / name
        summary = run_filter(str(folder), str(out), TaggerSpec("blocklist"), ExecutorConfig(tasks=count, quiet=True),
                             refill=FilterOptions(seed=4))
        assert summary["replacements"] == {"wanted": 5, "written": 5, "unreplaced": 0}
        return sorted(json.loads(line)["id"] for path in (out / "replacements").glob("*") for line in gzip.open(path))

    one = copies("one", 1)
    assert one == copies("many", 3)
    assert len(one) == 5 and all("#copy" in copy and copy.startswith("web") for copy in one)
