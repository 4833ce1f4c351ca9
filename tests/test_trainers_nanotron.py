"""nanotron configs: presets and figures, the batch split, the strict schema mirror and its traps, the launcher's stages."""

import json
import os

import pytest
import yaml

from alignment_data.errors import ConfigError, InputError
from tests.trainer_helpers import make_mix, make_tokenizer
from trainers.llama_shape import LlamaShape
from trainers.nanotron.build import ConfigOptions, batch_layout, build_config
from trainers.nanotron.check_against_nanotron import TRAPS, apply_trap
from trainers.nanotron.launch import StageWindows, lazy_dataloaders, plan_stages
from trainers.nanotron.make_config import main
from trainers.nanotron.presets import PRESETS
from trainers.nanotron.schema import config_from_dict, config_to_yaml, load_config
from trainers.nanotron.strict import NanotronConfigError

pytest.importorskip("transformers", reason="needs the train extra: pip install 'alignment-data[train]'")


@pytest.fixture(scope="module")
def mixes(tmp_path_factory):
    """A two-stage mix (late-stage insertion: the second stage is 10% of the tokens) and a one-stage (uniform) mix."""
    root = tmp_path_factory.mktemp("mixes")
    make_tokenizer(root / "tokenizer", vocab_size=100)
    staged = make_mix(root / "staged", root / "tokenizer", {"stage-0": (2700, 2, 50), "stage-1": (300, 50, 100)})
    uniform = make_mix(root / "uniform", root / "tokenizer", {"stage-0": (600, 2, 100)})
    return staged, uniform


def _make(tmp_path, capsys, *args):
    code = main([*args, "--output", str(tmp_path / "cfg.yaml")])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.err), tmp_path / "cfg.yaml"


def test_the_study_model_parameters_flops_and_steps():
    shape = PRESETS["6.9b-pretrain"].shape
    assert shape.parameters() == 6_888_361_984
    assert f"{shape.flops_per_token(2048):.4g}" == "4.331e+10" and f"{shape.flops_per_token(16384):.4g}" == "6.586e+10"
    assert (PRESETS["6.9b-pretrain"].train_steps, PRESETS["6.9b-midtrain"].train_steps) == (119_210, 11_921)
    assert round(PRESETS["150m"].shape.parameters(), -6) == 162_000_000 and round(PRESETS["1b"].shape.parameters(), -7) == 1_020_000_000
    assert LlamaShape(64, 2, 4, 2, 96, 128, tie_embeddings=True).parameters() == 2 * (2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 96 + 128) + 128 * 64 + 64


@pytest.mark.parametrize("gpus, micro, accumulation", [(64, 2, 16), (1, 2, 1024), (2048, 1, 1), (8, 2, 128)])
def test_batch_split_keeps_the_global_batch(gpus, micro, accumulation):
    layout = batch_layout(4_194_304, 2048, gpus, largest_micro_batch=2)
    assert (layout.micro_batch_size, layout.accumulation) == (micro, accumulation)
    assert layout.micro_batch_size * layout.accumulation * layout.data_parallel * 2048 == 4_194_304


@pytest.mark.parametrize("gpus, message", [(48, "use 32 or 64 GPUs"), (4096, "do not split evenly over 4,096 GPUs"), (0, "positive")])
def test_a_gpu_count_that_cannot_reach_the_global_batch_is_refused(gpus, message):
    with pytest.raises(ConfigError, match=message):
        batch_layout(4_194_304, 2048, gpus, largest_micro_batch=2)


def test_pretrain_config_reports_the_plan_and_passes_the_mirror(tmp_path, capsys):
    code, report, path = _make(tmp_path, capsys, "--preset", "6.9b-pretrain", "--gpus", "64")
    assert code == 0
    assert report["parameters"] == 6_888_361_984 and report["train_steps"] == 119_210
    assert report["tokens"] == 119_210 * 4_194_304 and report["flops_per_token"] == pytest.approx(4.3314e10, rel=1e-4)
    assert (report["micro_batch_size"], report["accumulation"]) == (2, 16)
    config = load_config(path)
    schedule = config.optimizer.learning_rate_scheduler
    assert (schedule.learning_rate, schedule.min_decay_lr, schedule.lr_warmup_steps, schedule.lr_decay_style) == (3e-4, 1.2e-5, 1192, "cosine")
    assert schedule.lr_warmup_style == "linear" and schedule.lr_decay_steps == 119_210 - 1192
    assert config.global_batch_size * config.tokens.sequence_length == 4_194_304 and config.data_stages[0].data.dataset is None


def test_midtrain_is_a_resumed_launch_with_a_fresh_schedule(tmp_path, capsys, mixes):
    code, report, path = _make(tmp_path, capsys, "--preset", "6.9b-midtrain", "--gpus", "1", "--resume-from", "/ckpt/pretrain",
                               "--data", str(mixes[1].folder), "--global-batch-tokens", "16384", "--train-steps", "10")
    assert code == 0, report
    raw = yaml.safe_load(path.read_text())
    assert raw["checkpoints"]["resume_checkpoint_path"] == "/ckpt/pretrain"
    assert raw["checkpoints"]["load_lr_scheduler"] is False and raw["checkpoints"]["load_optimizer"] is False
    assert raw["optimizer"]["learning_rate_scheduler"]["lr_decay_steps"] == 10 - 1  # written explicitly
    assert raw["tokens"]["sequence_length"] == 16_384 and raw["model"]["model_config"]["max_position_embeddings"] == 16_384
    dataset = raw["data_stages"][0]["data"]["dataset"]
    assert (dataset["tokenizer_name"], dataset["vocab_size"], dataset["token_size_in_bytes"]) == (mixes[1].tokenizer_name, 50_304, 2)
    assert raw["tokenizer"]["tokenizer_name_or_path"] == mixes[1].tokenizer_name
    code, err, _ = _make(tmp_path, capsys, "--preset", "6.9b-midtrain", "--gpus", "64")
    assert code == 2 and "give --resume-from" in err


def test_late_stage_turns_the_mix_stages_into_data_stages(tmp_path, capsys, mixes):
    staged = mixes[0]
    code, report, path = _make(tmp_path, capsys, "--preset", "150m", "--gpus", "1", "--data", str(staged.folder),
                               "--global-batch-tokens", "4096", "--train-steps", "20")
    assert code == 0, report
    start = 1 + round(staged.stages[0].tokens / 4096)
    assert [(stage["name"], stage["start_step"]) for stage in report["stages"]] == [("stage-0", 1), ("stage-1", start)]
    config = load_config(path)
    assert [stage.start_training_step for stage in config.data_stages] == [1, start]
    assert config.data_stages[1].data.dataset.dataset_folder == [str(staged.stages[1].folder.resolve())]
    code, err, _ = _make(tmp_path, capsys, "--preset", "6.9b-late-stage", "--gpus", "1", "--resume-from", "/ckpt",
                         "--data", str(mixes[1].folder))
    assert code == 2 and "a mix of two or more stages" in err


@pytest.mark.parametrize("extra, message", [
    (["--train-steps", "5"], "past the last step 5"),
    (["--gpus", "3"], "3 GPUs cannot reach the global batch"),
    (["--preset", "150n"], "invalid choice"),
])
def test_bad_runs_are_refused(tmp_path, capsys, mixes, extra, message):
    args = ["--preset", "150m", "--gpus", "1", "--data", str(mixes[0].folder), "--global-batch-tokens", "4096", *extra]
    if extra[0] == "--preset":
        with pytest.raises(SystemExit):
            main([*args, "--output", str(tmp_path / "x.yaml")])
        assert message in capsys.readouterr().err
        return
    code, err, _ = _make(tmp_path, capsys, *args)
    assert code == 2 and message in err


def test_bad_data_is_refused(tmp_path, capsys, mixes):
    code, err, _ = _make(tmp_path, capsys, "--preset", "150m", "--gpus", "1", "--data", str(tmp_path))
    assert code == 2 and "no manifest.json" in err
    big = make_mix(tmp_path / "big", mixes[0].tokenizer.path, {"stage-0": (10, 2, 50)}, vocab_size=70_000)
    with pytest.raises(InputError, match="70,000 ids, more than the model's vocabulary of 50,304"):
        build_config(ConfigOptions(preset="150m", gpus=1, data=str(big.folder)))


def _mix_config(mixes, tmp_path, capsys):
    code, report, path = _make(tmp_path, capsys, "--preset", "150m", "--gpus", "1", "--data", str(mixes[0].folder),
                               "--global-batch-tokens", "4096", "--train-steps", "20")
    assert code == 0, report
    return yaml.safe_load(path.read_text())


def test_every_preset_builds_a_config_the_mirror_loads(tmp_path, mixes):
    for name, chosen in PRESETS.items():
        options = ConfigOptions(preset=name, gpus=8, resume_from="/ckpt" if chosen.resumed else None,
                                data=str(mixes[0].folder) if chosen.staged else None,
                                global_batch_tokens=131_072 if chosen.staged else None, train_steps=100 if chosen.staged else None)
        config, _ = build_config(options)
        reloaded = config_from_dict(yaml.safe_load(config_to_yaml(config)))
        assert reloaded.tokens.train_steps == (options.train_steps or chosen.train_steps)
        assert reloaded.global_batch_size * reloaded.tokens.sequence_length == (options.global_batch_tokens or 4_194_304)


@pytest.mark.parametrize("name, change, expected", TRAPS, ids=[trap[0] for trap in TRAPS])
def test_each_nanotron_trap_fails_the_mirror_as_nanotron_fails(tmp_path, capsys, mixes, name, change, expected):
    base = _mix_config(mixes, tmp_path, capsys)
    config_from_dict(base)
    with pytest.raises(NanotronConfigError) as caught:
        config_from_dict(apply_trap(base, change))
    assert caught.value.nanotron_error == expected


def test_mirror_errors_say_where_and_why(tmp_path, capsys, mixes):
    base = _mix_config(mixes, tmp_path, capsys)
    base["data_stages"][1]["data"]["dataset"]["dataset_folder"] = {"a": 1}
    with pytest.raises(NanotronConfigError, match=r"data_stages\[1\]\.data\.dataset: matches no member.*as NanosetDatasetsArgs"):
        config_from_dict(base)
    base = _mix_config(mixes, tmp_path, capsys)
    base["optimizer"]["learning_rate_scheduler"]["learning_rate"] = 1  # an int passes as a float, as in dacite
    assert config_from_dict(base).optimizer.learning_rate_scheduler.learning_rate == 1


def test_launcher_plans_every_stage_and_builds_each_lazily(tmp_path, capsys, mixes):
    base = _mix_config(mixes, tmp_path, capsys)
    config = config_from_dict(base)
    plans = plan_stages(config)
    assert [(plan.name, plan.start_step, plan.steps) for plan in plans] == [
        ("stage-0", 1, config.data_stages[1].start_training_step - 1), ("stage-1", config.data_stages[1].start_training_step,
                                                                         21 - config.data_stages[1].start_training_step)]
    built = []
    trainer = type("Trainer", (), {"config": config})()
    loaders = lazy_dataloaders(trainer, plans, build=lambda trainer_, plan, args: built.append(plan.name) or plan.name)
    assert set(loaders) == {"stage-0", "stage-1"} and built == []  # one per stage, none built before its stage starts
    assert loaders["stage-1"]() == "stage-1" and built == ["stage-1"]


def test_launcher_refuses_stages_it_cannot_read(tmp_path, capsys, mixes):
    base = _mix_config(mixes, tmp_path, capsys)
    base["data_stages"][0]["data"]["dataset"]["dataset_folder"] *= 2
    base["data_stages"][0]["data"]["dataset"]["dataset_weights"] = [0.5, 0.5]
    with pytest.raises(ConfigError, match="blends 2 folders"):
        plan_stages(config_from_dict(base))
    base = _mix_config(mixes, tmp_path, capsys)
    base["data_stages"][1]["start_training_step"] = 25
    with pytest.raises(ConfigError, match="starts at step 25, past the last step 20"):
        plan_stages(config_from_dict(base))


def test_stage_windows_count_what_nanotron_reports(mixes):
    stage = mixes[0].stages[1]
    windows = StageWindows(list(stage.files), 64, str(stage.folder), consumed_tokens=128)
    windows.update_consumption_metrics(start_idx=32, end_idx=48, sequence_length=64)
    assert windows.get_consumption_stats() == {str(stage.folder): {"tokens": 128 + 16 * 64}}
    assert windows[0]["input_ids"].shape == (65,)


@pytest.mark.skipif(not os.environ.get("NANOTRON_SRC"), reason="set NANOTRON_SRC to a nanotron checkout's src/ (pinned commit) "
                    "with dacite, einops and psutil importable to check the mirror against nanotron's own loader")
def test_mirror_agrees_with_nanotrons_loader(tmp_path, capsys, mixes):
    from trainers.nanotron.check_against_nanotron import main as check

    _mix_config(mixes, tmp_path, capsys)
    assert check(["--nanotron-src", os.environ["NANOTRON_SRC"], "--traps", "--stages", str(tmp_path / "cfg.yaml")]) == 0
