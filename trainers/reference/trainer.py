"""A single-process PyTorch trainer that reads a mix's token files and stages and saves Hugging Face checkpoints.

It trains transformers' ``LlamaForCausalLM`` built from a preset, on the same windows as
nanotron (``seq_len + 1`` tokens, in file order, each stage from its first window), the same
per-step batches (step ``k`` of a stage reads its windows ``(k - start) * batch ...``), the same
learning-rate rule and AdamW settings as the nanotron configs. Every ``checkpoint_every``
steps and at the end it writes ``OUTPUT/checkpoints/step-NNNNNN/``, a folder that
``AutoModelForCausalLM.from_pretrained`` and ``AutoTokenizer.from_pretrained`` load as it is;
the latest one also holds the optimizer state, so ``resume=True`` continues a run exactly.
Deterministic on CPU for a seed. On a GPU: ``device="cuda"``, ``dtype="bfloat16"``
(autocast over float32 weights), ``compile=True`` for ``torch.compile``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alignment_data.errors import ConfigError, InputError, MissingExtraError, TrainingError
from alignment_data.options import option
from trainers.llama_shape import LlamaShape
from trainers.mix import MixPlan, load_tokenizer, read_mix
from trainers.reference.presets import PRESETS, ReferencePreset, reference_preset
from trainers.schedule import LRSchedule
from trainers.tokens import TokenWindows

RUN_FILE, LOG_FILE, SUMMARY_FILE, STATE_FILE, OPTIMIZER_FILE = "run.json", "log.jsonl", "summary.json", "trainer_state.json", "optimizer.pt"


@dataclass(frozen=True)
class TrainOptions:
    """How to train; ``None`` means the preset's value."""

    preset: str = option("tiny", "preset", choices=tuple(PRESETS))
    steps: int | None = option(None, "optimizer steps instead of the preset's")
    checkpoint_every: int | None = option(None, "steps between checkpoints instead of the preset's (a checkpoint curve)")
    micro_batch_size: int | None = option(None, "sequences per forward pass instead of the preset's (the step's batch stays)")
    seed: int = option(0, "seed of the model's initialisation")
    device: str = option("cpu", "torch device: cpu, cuda, cuda:1, ...")
    dtype: str = option("float32", "compute dtype: float32, or bfloat16 (autocast over float32 weights)", choices=("float32", "bfloat16"))
    compile: bool = option(False, "run the model through torch.compile")
    resume: bool = option(False, "continue the run in --output from its latest checkpoint")
    stop_at: int | None = option(None, "stop after this step with a checkpoint, to continue later with --resume (time-limited jobs)")
    log_every: int = option(10, "steps between progress lines on stderr (0: none)")


@dataclass
class TrainSummary:
    """What a run did: its steps and tokens, its speed, its losses, its checkpoints."""

    output: Path
    steps: int
    tokens: int
    tokens_per_second: float
    train_seconds: float
    first_loss: float
    final_loss: float
    parameters: int
    flops_per_token: float
    device: str
    stage_starts: dict[str, int]
    checkpoints: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["output"], out["checkpoints"] = str(self.output), [str(path) for path in self.checkpoints]
        return out


def _torch():
    try:
        import torch
        import transformers
    except ImportError as error:
        raise MissingExtraError(f"the reference trainer needs torch and transformers: pip install 'alignment-data[semantic]' ({error})") from None
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers


def model_vocabulary(preset: ReferencePreset, plan: MixPlan) -> int:
    """The model's vocabulary: the preset's, or the tokenizer's rounded up to a multiple of 64; never smaller than the tokenizer's."""
    vocab = preset.vocab_size or 64 * math.ceil(plan.tokenizer.vocab_size / 64)
    if plan.tokenizer.vocab_size > vocab:
        raise InputError(f"the mix's tokenizer has {plan.tokenizer.vocab_size:,} ids, more than the {preset.name} model's vocabulary "
                         f"of {vocab:,}: its token files do not fit this model", file=str(plan.folder))
    return vocab


def shape_of(preset: ReferencePreset, vocab_size: int) -> LlamaShape:
    return LlamaShape(preset.hidden_size, preset.num_layers, preset.num_heads, preset.num_kv_heads, preset.intermediate_size, vocab_size)


def build_model(shape: LlamaShape, preset: ReferencePreset, seed: int):
    """A freshly initialised ``LlamaForCausalLM`` (float32) for ``shape``, the same for the same seed."""
    torch, transformers = _torch()
    config = transformers.LlamaConfig(
        vocab_size=shape.vocab_size, hidden_size=shape.hidden_size, intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_layers, num_attention_heads=shape.num_heads, num_key_value_heads=shape.num_kv_heads,
        max_position_embeddings=preset.sequence_length, rms_norm_eps=1e-5, tie_word_embeddings=shape.tie_embeddings,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, initializer_range=0.02, use_cache=False)
    torch.manual_seed(seed)
    return transformers.LlamaForCausalLM(config)


class ReferenceRun:
    """One training run into an output folder; :meth:`run` trains and returns the :class:`TrainSummary`."""

    def __init__(self, data: str | Path, output: str | Path, options: TrainOptions):
        self.torch, _ = _torch()
        self.options, self.output = options, Path(output)
        self.preset = reference_preset(options.preset)
        self.plan = read_mix(data)
        self.tokenizer = load_tokenizer(self.plan.tokenizer)
        self.shape = shape_of(self.preset, model_vocabulary(self.preset, self.plan))
        self.steps = options.steps or self.preset.train_steps
        if self.steps < 1:
            raise ConfigError(f"--steps must be at least 1, got {self.steps}")
        self.micro = options.micro_batch_size or self.preset.micro_batch_size
        if self.preset.global_batch_sequences % self.micro:
            raise ConfigError(f"a micro batch of {self.micro} does not divide the step's {self.preset.global_batch_sequences} sequences")
        seq = self.preset.sequence_length
        self.starts = self.plan.start_steps(seq, self.preset.global_batch_sequences * seq, self.steps)
        self.windows = [TokenWindows(list(stage.files), seq, stage.name) for stage in self.plan.stages]
        self.schedule = LRSchedule.for_run(self.preset.learning_rate, self.preset.min_lr, self.steps, self.preset.warmup_fraction)
        self.device = self.torch.device(options.device)
        self.settings = {"preset": self.preset.name, "data": str(self.plan.folder.resolve()), "steps": self.steps, "seed": options.seed,
                         "vocab_size": self.shape.vocab_size, "stage_starts": dict(zip((s.name for s in self.plan.stages), self.starts)),
                         "schedule": asdict(self.schedule), "global_batch_sequences": self.preset.global_batch_sequences}

    # ---- data ---------------------------------------------------------------------------------
    def stage_at(self, step: int) -> int:
        """Index of the stage step ``step`` trains on."""
        return max(index for index, start in enumerate(self.starts) if start <= step)

    def batch(self, step: int):
        """Step ``step``'s windows, ``[global batch, seq_len + 1]`` int64, checked against the vocabulary."""
        stage = self.stage_at(step)
        size = self.preset.global_batch_sequences
        windows = self.torch.from_numpy(self.windows[stage].batch((step - self.starts[stage]) * size, size))
        top = int(windows.max())
        if top >= self.shape.vocab_size:
            raise InputError(f"token id {top} does not fit the model's vocabulary of {self.shape.vocab_size:,}",
                             file=str(self.plan.stages[stage].folder))
        return stage, windows

    # ---- checkpoints -----------------------------------------------------------------------------
    @property
    def checkpoints(self) -> Path:
        return self.output / "checkpoints"

    def _claim_output(self) -> int:
        """Start a new run in ``output``, or find where the run there stopped (``resume``); returns the last step done."""
        run_file = self.output / RUN_FILE
        if run_file.is_file():
            if not self.options.resume:
                raise ConfigError(f"{self.output} already holds a run: pass --resume to continue it, or choose another --output")
            previous = json.loads(run_file.read_text())
            if previous != self.settings:
                changed = sorted(key for key in self.settings if previous.get(key) != self.settings[key])
                raise ConfigError(f"{run_file}: the run there was started with other settings ({', '.join(changed)})")
            latest = self.checkpoints / "latest.txt"
            return json.loads((self.checkpoints / latest.read_text().strip() / STATE_FILE).read_text())["step"] if latest.is_file() else 0
        if self.options.resume:
            raise ConfigError(f"--resume: {self.output} holds no run to continue")
        self.output.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(self.settings, indent=2) + "\n")
        return 0

    def save(self, model, optimizer, step: int, loss: float) -> Path:
        """Write ``step-NNNNNN`` (model, tokenizer, state); only the newest keeps the optimizer state."""
        folder = self.checkpoints / f"step-{step:06d}"
        model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        (folder / STATE_FILE).write_text(json.dumps({"step": step, "loss": loss, "stage": self.plan.stages[self.stage_at(step)].name,
                                                     "tokens": step * self.preset.global_batch_sequences * self.preset.sequence_length}))
        self.torch.save(optimizer.state_dict(), folder / OPTIMIZER_FILE)
        latest = self.checkpoints / "latest.txt"
        previous = self.checkpoints / latest.read_text().strip() / OPTIMIZER_FILE if latest.is_file() else None
        latest.write_text(folder.name)
        if previous is not None and previous.parent != folder and previous.is_file():
            previous.unlink()
        return folder

    def _restore(self, model, optimizer, step: int) -> None:
        from safetensors.torch import load_file

        folder = self.checkpoints / f"step-{step:06d}"
        model.load_state_dict(load_file(folder / "model.safetensors", device=str(self.device)))
        optimizer.load_state_dict(self.torch.load(folder / OPTIMIZER_FILE, map_location=self.device))

    # ---- training --------------------------------------------------------------------------------
    def _step(self, forward, model, optimizer, windows, autocast, step: int) -> float:
        """One optimizer step over the step's windows in micro batches; returns the mean loss."""
        torch = self.torch
        total = torch.zeros((), device=self.device)
        for micro in windows.split(self.micro):
            with autocast:
                logits = forward(input_ids=micro[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), micro[:, 1:].reshape(-1))
            share = len(micro) / len(windows)
            (loss * share).backward()
            total += loss.detach() * share
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in optimizer.param_groups:
            group["lr"] = self.schedule.for_step(step)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(total)  # waits for the device, so a step's time is its whole work

    def run(self) -> TrainSummary:
        torch, options = self.torch, self.options
        done = self._claim_output()
        model = build_model(self.shape, self.preset, options.seed).to(self.device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.schedule.for_step(done + 1), betas=(0.9, 0.95), eps=1e-8,
                                      weight_decay=self.preset.weight_decay, fused=self.device.type == "cuda")
        if done:
            self._restore(model, optimizer, done)
        forward = torch.compile(model) if options.compile else model
        log_path = self.output / LOG_FILE
        kept = [line for line in log_path.read_text().splitlines() if json.loads(line)["step"] <= done] if done and log_path.is_file() else []
        log_path.write_text("".join(line + "\n" for line in kept))
        losses, seconds = [json.loads(line)["loss"] for line in kept], 0.0
        step_tokens = self.preset.global_batch_sequences * self.preset.sequence_length
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=options.dtype == "bfloat16")
        every = options.checkpoint_every or self.preset.checkpoint_every
        last = min(self.steps, options.stop_at or self.steps)
        model.train()
        with log_path.open("a") as log:
            for step in range(done + 1, last + 1):
                began = time.perf_counter()
                stage, windows = self.batch(step)
                value = self._step(forward, model, optimizer, windows.to(self.device), autocast, step)
                took = time.perf_counter() - began
                seconds += took
                if not math.isfinite(value):
                    raise TrainingError(f"the loss became {value} at step {step}")
                losses.append(value)
                name = self.plan.stages[stage].name
                log.write(json.dumps({"step": step, "stage": name, "loss": value, "lr": self.schedule.for_step(step),
                                      "tokens": step * step_tokens, "seconds": round(took, 6)}) + "\n")
                log.flush()
                if options.log_every and step % options.log_every == 0:
                    print(f"step {step}/{self.steps} stage {name} loss {value:.4f} {(step - done) * step_tokens / seconds:,.0f} tokens/s",
                          file=sys.stderr, flush=True)
                if step % every == 0 or step == last:
                    self.save(model, optimizer, step, value)
        summary = TrainSummary(self.output, last, last * step_tokens, (last - done) * step_tokens / seconds if seconds else 0.0,
                               seconds, losses[0], losses[-1], self.shape.parameters(),
                               self.shape.flops_per_token(self.preset.sequence_length), str(self.device),
                               self.settings["stage_starts"], sorted(self.checkpoints.glob("step-*")))
        (self.output / SUMMARY_FILE).write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
        return summary


def train(data: str | Path, output: str | Path, options: TrainOptions | None = None) -> TrainSummary:
    """Train on the mix folder ``data`` into ``output``; the whole path's entry point. See :class:`TrainOptions`."""
    return ReferenceRun(data, output, options or TrainOptions()).run()
