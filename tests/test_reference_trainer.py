"""The reference trainer on CPU: a tiny Llama learns, switches stages on time, resumes exactly, saves loadable checkpoints."""

import json

import pytest

torch = pytest.importorskip("torch", reason="needs the train extra: pip install 'alignment-data[train]'")
pytest.importorskip("transformers", reason="needs the train extra: pip install 'alignment-data[train]'")

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from alignment_data.errors import ConfigError, InputError  # noqa: E402
from tests.trainer_helpers import make_mix, make_tokenizer  # noqa: E402
from trainers.reference import TrainOptions, train  # noqa: E402
from trainers.reference.train import main  # noqa: E402
from trainers.reference.trainer import ReferenceRun  # noqa: E402
from trainers.schedule import LRSchedule  # noqa: E402

# 400 documents over ids 2..49, then 100 over ids 50..99: stage-1 starts at step 11 at the tiny preset's 1,024 tokens a step.
STAGES = {"stage-0": (400, 2, 50), "stage-1": (100, 50, 100)}


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    make_tokenizer(root / "tokenizer", vocab_size=100)
    return make_mix(root / "mix", root / "tokenizer", STAGES)


@pytest.fixture(scope="module")
def straight_run(mix, tmp_path_factory):
    """30 tiny steps with checkpoints every 10, shared by the tests that only read a finished run."""
    out = tmp_path_factory.mktemp("run") / "straight"
    return train(mix.folder, out, TrainOptions(steps=30, checkpoint_every=10, log_every=0))


def _log(folder):
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


def test_loss_falls_and_checkpoints_load_with_from_pretrained(straight_run):
    assert straight_run.final_loss < 0.75 * straight_run.first_loss
    assert [path.name for path in straight_run.checkpoints] == ["step-000010", "step-000020", "step-000030"]
    last = straight_run.checkpoints[-1]
    model, tokenizer = AutoModelForCausalLM.from_pretrained(last), AutoTokenizer.from_pretrained(last)
    assert model.config.vocab_size == 128 and len(tokenizer) == 100  # the tokenizer's 100 ids padded to a multiple of 64
    assert json.loads((last / "trainer_state.json").read_text())["step"] == 30
    assert [path.name for path in straight_run.output.glob("checkpoints/*/optimizer.pt")] == ["optimizer.pt"]
    assert (last / "optimizer.pt").is_file() and straight_run.tokens_per_second > 0


def test_stages_switch_at_their_start_step_and_read_their_own_tokens(straight_run, mix):
    log = _log(straight_run.output)
    assert straight_run.stage_starts == {"stage-0": 1, "stage-1": 11}
    assert [entry["stage"] for entry in log] == ["stage-0"] * 10 + ["stage-1"] * 20
    run = ReferenceRun(mix.folder, straight_run.output.parent / "unused", TrainOptions(steps=30))
    assert set(run.batch(10)[1].unique().tolist()) <= {0, *range(2, 50)}
    assert set(run.batch(11)[1].unique().tolist()) <= {0, *range(50, 100)}
    assert torch.equal(run.batch(12)[1][0], torch.from_numpy(run.windows[1].window(16)))  # step 12 = stage-1's windows 16..31


def test_learning_rate_follows_nanotrons_rule(straight_run):
    schedule = LRSchedule.for_run(3e-3, 1.2e-4, 30, 0.01)
    assert [entry["lr"] for entry in _log(straight_run.output)] == [schedule.for_step(step) for step in range(1, 31)]
    assert schedule.for_step(1) == 0.0 and schedule.for_step(2) == 3e-3  # LambdaLR: step k runs at the rule for k - 1


def test_same_seed_same_run_and_resume_continues_exactly(mix, straight_run, tmp_path):
    out = tmp_path / "resumed"
    first = train(mix.folder, out, TrainOptions(steps=30, checkpoint_every=10, stop_at=15, log_every=0))
    assert first.steps == 15 and (out / "checkpoints" / "step-000015" / "optimizer.pt").is_file()
    resumed = train(mix.folder, out, TrainOptions(steps=30, checkpoint_every=10, resume=True, log_every=0))
    untimed = [[{key: value for key, value in entry.items() if key != "seconds"} for entry in _log(folder)]
               for folder in (out, straight_run.output)]
    assert untimed[0] == untimed[1]
    ours = AutoModelForCausalLM.from_pretrained(resumed.checkpoints[-1]).state_dict()
    theirs = AutoModelForCausalLM.from_pretrained(straight_run.checkpoints[-1]).state_dict()
    assert all(torch.equal(ours[name], theirs[name]) for name in theirs)


def test_a_run_folder_is_not_reused_or_resumed_with_other_settings(mix, straight_run):
    with pytest.raises(ConfigError, match="already holds a run"):
        train(mix.folder, straight_run.output, TrainOptions(steps=30))
    with pytest.raises(ConfigError, match=r"other settings \(schedule, seed, steps\)"):
        train(mix.folder, straight_run.output, TrainOptions(steps=31, seed=1, resume=True))


def test_bad_input_is_a_clear_error(mix, tmp_path):
    with pytest.raises(InputError, match="no manifest.json"):
        train(tmp_path, tmp_path / "out")
    big = make_mix(tmp_path / "big", mix.tokenizer.path, {"stage-0": (20, 2, 50)}, vocab_size=70_000)
    with pytest.raises(InputError, match="70,000 ids, more than the 150m model's vocabulary of 50,304"):
        ReferenceRun(big.folder, tmp_path / "out", TrainOptions(preset="150m"))
    with pytest.raises(ConfigError, match="'stage-1' starts at step 11, past the last step 5"):
        ReferenceRun(mix.folder, tmp_path / "out", TrainOptions(steps=5))
    with pytest.raises(ConfigError, match="did you mean 'tiny'"):
        ReferenceRun(mix.folder, tmp_path / "out", TrainOptions(preset="tinny"))


def test_command_line_prints_the_summary(mix, tmp_path, capsys):
    assert main(["--data", str(mix.folder), "--output", str(tmp_path / "cli"), "--steps", "12", "--log-every", "0"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 12 and summary["tokens"] == 12 * 1024 and summary["flops_per_token"] > 0
    assert main(["--data", str(tmp_path / "nothing"), "--output", str(tmp_path / "cli2")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
