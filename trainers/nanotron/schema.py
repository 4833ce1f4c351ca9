"""A typed mirror of nanotron's YAML config at commit 2411b022a75fb7f7561a1bb4166706da5e1b76de.

The dataclasses below repeat the fields, types, defaults and ``__post_init__`` checks of
``src/nanotron/config/config.py``, ``models_config.py``, ``parallelism_config.py`` and
``lighteval_config.py`` at that commit, and :func:`config_from_dict` loads them with dacite's
strict rules (:mod:`trainers.nanotron.strict`), so a config that loads here loads in nanotron
and one that fails here fails there, with the same exception, without nanotron, CUDA or
flash-attn. Enum-valued fields hold small mirror enums; torch dtypes are checked names.
``trainers/nanotron/check_mirror.py`` compares the two loaders on every generated config and
on each trap (docs/training.md says how it was run). Left out on purpose: nanotron's
``%date``/``%jobid`` substitution in ``general.run`` (done at load time, not a check).
"""

from __future__ import annotations

import enum
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from trainers.nanotron.strict import NanotronConfigError, StrictLoader, fail, to_plain

NANOTRON_COMMIT = "2411b022a75fb7f7561a1bb4166706da5e1b76de"
DEFAULT_SEED = 42
LOG_LEVELS = ("debug", "info", "warning", "error", "critical", "passive")
TORCH_DTYPES = ("float32", "float64", "complex64", "complex128", "float16", "bfloat16", "uint8", "int8", "int16", "int32", "int64", "bool")
AttentionImplementation = Literal["flash_attention_2", "flex_attention", "sdpa", "ring_flash_triton", "ring", "llama3_ring_attention"]


class TorchDtype(str):
    """A torch dtype by name (``"bfloat16"``), as nanotron's ``cast_str_to_torch_dtype`` accepts it."""


class XPath(str):
    """A local path or URL kept as written (nanotron's ``xPath``)."""


class PipelineEngine(enum.Enum):
    AFAB = "afab"
    ONE_F_ONE_B = "1f1b"


class TensorParallelLinearMode(enum.Enum):
    ALL_REDUCE = 1
    REDUCE_SCATTER = 2


class InitScalingMethod(enum.Enum):
    NONE = 1
    NUM_LAYERS = 2
    LAYER_INDEX = 3
    MODEL_SCALE = 4


class SamplerType(enum.Enum):
    TOP_P = 1
    TOP_K = 2
    GREEDY = 3
    BASIC = 4


def _dtype(value: Any) -> TorchDtype:
    if value not in TORCH_DTYPES:
        fail("ValueError", f"dtype should be one of {', '.join(TORCH_DTYPES)}, not {value!r}")
    return TorchDtype(value)


def _pipeline_engine(value: Any) -> PipelineEngine:
    if value not in ("afab", "1f1b"):
        fail("ValueError", f"pp_engine should be 'afab' or '1f1b', not {value!r}")
    return PipelineEngine(value)


def _by_name(enum_type: type[enum.Enum]):
    def convert(value: Any):
        if not isinstance(value, str):
            fail("AttributeError", f"{enum_type.__name__} must be given by name, got {value!r}")
        if value.upper() not in enum_type.__members__:
            fail("KeyError", f"{value!r} is not one of {', '.join(enum_type.__members__)}")
        return enum_type[value.upper()]
    return convert


def _xpath(value: Any) -> XPath:
    if not isinstance(value, (str, Path)):
        fail("TypeError", f"expected a path, got {value!r}")
    return XPath(str(value))


HOOKS = {
    TorchDtype: _dtype,
    XPath: _xpath,
    PipelineEngine: _pipeline_engine,
    TensorParallelLinearMode: _by_name(TensorParallelLinearMode),
    InitScalingMethod: _by_name(InitScalingMethod),
    SamplerType: _by_name(SamplerType),
}


# ---- logging, general, checkpoints -------------------------------------------------------
@dataclass
class LoggingArgs:
    log_level: str | None = None
    log_level_replica: str | None = None
    iteration_step_info_interval: int | None = 1

    def __post_init__(self):
        for name in ("log_level", "log_level_replica"):
            if getattr(self, name) is None:
                setattr(self, name, "info")
            if getattr(self, name) not in LOG_LEVELS:
                fail("ValueError", f"{name} should be one of {', '.join(LOG_LEVELS)}, not {getattr(self, name)!r}")


@dataclass
class MetricsLoggingArgs:
    log_level: int = 0
    log_detail_interval: int = 10

    def __post_init__(self):
        # nanotron's messages name attributes that do not exist, so these checks raise AttributeError.
        if self.log_level not in (0, 1):
            fail("AttributeError", f"log_level should be 0 or 1, not {self.log_level!r}")
        if self.log_detail_interval <= 0:
            fail("AttributeError", f"log_detail_interval should be positive, not {self.log_detail_interval!r}")


@dataclass
class GeneralArgs:
    project: str
    run: str | None = None
    seed: int | None = None
    step: int | None = None
    consumed_train_samples: int | None = None
    benchmark_csv_path: Path | None = None
    ignore_sanity_checks: bool = True

    def __post_init__(self):
        if self.seed is None:
            self.seed = DEFAULT_SEED
        if self.run is None:
            self.run = "%date_%jobid"


@dataclass
class CheckpointsArgs:
    checkpoints_path: Path
    checkpoint_interval: int
    save_initial_state: bool | None = False
    save_final_state: bool | None = True
    resume_checkpoint_path: XPath | None = None
    load_lr_scheduler: bool | None = True
    load_optimizer: bool | None = True
    checkpoints_path_is_shared_file_system: bool | None = False


@dataclass
class ProfilerArgs:
    profiler_export_path: Path | None
    wait: int = 1
    warmup: int = 1
    active: int = 1
    repeat: int = 1
    skip_first: int = 3
    record_shapes: bool = False
    profile_memory: bool = False
    with_stack: bool = True
    export_chrome_trace: bool = False


@dataclass
class S3UploadArgs:
    upload_s3_path: XPath
    remove_after_upload: bool
    s5cmd_numworkers: int | None
    s5cmd_concurrency: int | None
    s5cmd_path: XPath | None


# ---- parallelism, tokenizer, tokens, optimizer --------------------------------------------
@dataclass
class ParallelismArgs:
    dp: int
    pp: int
    tp: int
    pp_engine: PipelineEngine | None = None
    tp_mode: TensorParallelLinearMode | None = None
    tp_linear_async_communication: bool | None = None
    recompute_layer: bool = False
    tp_recompute_allgather: bool = True
    expert_parallel_size: int = 1
    context_parallel_size: int = 1

    def __post_init__(self):
        if self.pp_engine is None:
            self.pp_engine = PipelineEngine.AFAB
        if self.tp_mode is None:
            self.tp_mode = TensorParallelLinearMode.ALL_REDUCE
        if self.tp_linear_async_communication is None:
            self.tp_linear_async_communication = False


@dataclass
class TokenizerArgs:
    tokenizer_name_or_path: str | None = None
    tokenizer_revision: str | None = None
    tokenizer_max_length: int | None = None


@dataclass
class TokensArgs:
    sequence_length: int
    train_steps: int
    micro_batch_size: int
    batch_accumulation_per_replica: int
    val_check_interval: int | None = -1
    limit_val_batches: int | None = 0
    limit_test_batches: int | None = 0


@dataclass
class LRSchedulerArgs:
    learning_rate: float
    lr_warmup_steps: int = 0
    lr_warmup_style: str = None
    lr_decay_style: str = None
    lr_decay_steps: int | None = None
    lr_decay_starting_step: int | None = None
    min_decay_lr: float = None

    def __post_init__(self):
        # nanotron checks the warmup style before it would default it: an unset style always fails.
        if self.lr_warmup_style not in ("linear", "constant"):
            fail("ValueError", f"lr_warmup_style should be 'linear' or 'constant', not {self.lr_warmup_style!r}")
        if self.lr_decay_style is None:
            self.lr_decay_style = "linear"
        if self.lr_decay_style not in ("linear", "cosine", "1-sqrt"):
            fail("ValueError", f"lr_decay_style should be 'linear', 'cosine' or '1-sqrt', not {self.lr_decay_style!r}")
        if self.min_decay_lr is None:
            self.min_decay_lr = self.learning_rate


@dataclass
class SGDOptimizerArgs:
    name: str = "sgd"


@dataclass
class AdamWOptimizerArgs:
    adam_eps: float
    adam_beta1: float
    adam_beta2: float
    torch_adam_is_fused: bool
    name: str = "adamW"


@dataclass
class OptimizerArgs:
    optimizer_factory: SGDOptimizerArgs | AdamWOptimizerArgs
    zero_stage: int
    weight_decay: float
    clip_grad: float | None
    accumulate_grad_in_fp32: bool
    learning_rate_scheduler: LRSchedulerArgs
    weight_decay_exclude_named_params: list[str] | None = None

    def __post_init__(self):
        if self.weight_decay_exclude_named_params is None:
            self.weight_decay_exclude_named_params = []


# ---- model ---------------------------------------------------------------------------------
@dataclass
class RandomInit:
    std: float
    scaling_method: InitScalingMethod = InitScalingMethod.NUM_LAYERS


@dataclass
class SpectralMupInit:
    use_mup: bool

    def __post_init__(self):
        if not self.use_mup:
            fail("AssertionError", "remove use_mup rather than set it to false")


@dataclass
class ExistingCheckpointInit:
    path: Path


@dataclass
class MoEConfig:
    num_experts: int = 8
    top_k: int = 2
    moe_intermediate_size: int = 1408
    shared_expert_intermediate_size: int = 5632
    router_aux_loss_coef: float = 0.01
    layers: list[int] = field(default_factory=lambda: [-1])
    enable_shared_expert: bool = False
    token_dispatcher_type: str = "alltoall"

    def __post_init__(self):
        if self.top_k > self.num_experts:
            fail("ValueError", f"top_k ({self.top_k}) cannot be greater than num_experts ({self.num_experts})")
        if self.token_dispatcher_type not in ("alltoall", "allgather"):
            fail("ValueError", f"token_dispatcher_type must be 'alltoall' or 'allgather', got {self.token_dispatcher_type!r}")


@dataclass
class _DecoderConfig:
    """The fields nanotron's ``LlamaConfig`` and ``Qwen2Config`` share, with the same types and defaults."""

    bos_token_id: int = 1
    eos_token_id: int = 2
    hidden_act: str = "silu"
    hidden_size: int = 4096
    initializer_range: float = 0.02
    intermediate_size: int = 11008
    max_position_embeddings: int = 2048
    num_attention_heads: int = 32
    num_hidden_layers: int = 32
    attention_bias: bool = False
    num_key_value_heads: int | None = None
    pad_token_id: int | None = None
    pretraining_tp: int = 1
    rms_norm_eps: float = 1e-6
    rope_scaling: dict | None = None
    rope_theta: float = 10000.0
    rope_interleaved: bool = False
    tie_word_embeddings: bool = False
    use_cache: bool = True
    vocab_size: int = 32000
    _attn_implementation: AttentionImplementation | None = "flash_attention_2"
    z_loss_enabled: bool = False
    z_loss_coefficient: float = 0.0001

    def __post_init__(self):
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads


@dataclass
class LlamaConfig(_DecoderConfig):
    is_llama_config: bool = True


@dataclass
class Qwen2Config(_DecoderConfig):
    is_qwen2_config: bool = True
    rope_seq_len_interpolation_factor: float | None = None
    flex_attention_mask: str | None = None
    sliding_window_size: int | None = None
    no_rope_layer: int | None = None
    _fused_rotary_emb: bool = True
    _fused_rms_norm: bool = True
    _use_qkv_packed: bool = True
    _use_doc_masking: bool = False
    log_attn_probs: bool = True
    ring_attn_heads_k_stride: int | None = None
    moe_config: MoEConfig | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.moe_config and self.moe_config.layers == [-1]:
            self.moe_config.layers = list(range(self.num_hidden_layers))
        if self.sliding_window_size is not None and self._attn_implementation not in ("flex_attention", "flash_attention_2", "llama3_ring_attention"):
            fail("AssertionError", "a sliding window needs flex attention or flash attention 2")
        if self.flex_attention_mask is not None and (self._attn_implementation != "flex_attention" or self.flex_attention_mask
                                                     not in ("sliding_window", "document", "sliding_window_document")):
            fail("AssertionError", "flex_attention_mask needs flex attention and one of sliding_window, document, sliding_window_document")
        if self.no_rope_layer is not None and self.num_hidden_layers % self.no_rope_layer:
            fail("AssertionError", "no_rope_layer must divide num_hidden_layers")
        if (self._attn_implementation == "llama3_ring_attention") != (self.ring_attn_heads_k_stride is not None):
            fail("AssertionError", "ring_attn_heads_k_stride is set exactly when the attention is llama3_ring_attention")


@dataclass
class Starcoder2Config:
    activation_function: str = "gelu_pytorch_tanh"
    attention_softmax_in_fp32: bool = True
    attn_pdrop: float = 0.1
    bos_token_id: int = 49152
    embd_pdrop: float = 0.1
    eos_token_id: int = 49152
    global_attn_layers: list[int] = field(default_factory=list)
    grouped_query: bool = False
    hidden_size: int = 2048
    initializer_range: float = 0.02
    intermediate_size: int | None = None
    is_starcoder2_config: bool = True
    layer_norm_epsilon: float = 1e-05
    max_position_embeddings: int = 4096
    multi_query: bool = False
    num_attention_heads: int = 16
    num_hidden_layers: int = 24
    num_kv_heads: int | None = None
    resid_pdrop: float = 0.1
    rope_theta: int | None = 10000
    scale_attention_softmax_in_fp32: bool = True
    scale_attn_weights: bool = True
    sliding_window_size: int | None = None
    use_position_embeddings: bool = False
    use_rotary_embeddings: bool = True
    vocab_size: int = 49280
    _attn_implementation: AttentionImplementation | None = "flash_attention_2"

    def __post_init__(self):
        if self.grouped_query and (self.num_kv_heads is None or self.multi_query):
            fail("AssertionError", "grouped_query needs num_kv_heads and excludes multi_query")
        if not self.multi_query and not self.grouped_query:
            self.multi_query = True


NanotronConfigs = Union[LlamaConfig, Starcoder2Config, Qwen2Config, Any]  # noqa: UP007 (the same Union as nanotron, Any last)


@dataclass
class ModelArgs:
    model_config: NanotronConfigs
    init_method: RandomInit | SpectralMupInit | ExistingCheckpointInit
    dtype: TorchDtype | None = None
    make_vocab_size_divisible_by: int = 1
    ddp_bucket_cap_mb: int = 25

    def __post_init__(self):
        if self.dtype is None:
            self.dtype = TorchDtype("bfloat16")
        if isinstance(self.model_config, dict):  # matched no model class: nanotron builds a Qwen2Config from it
            try:
                self.model_config = Qwen2Config(**self.model_config)
            except TypeError as error:
                raise NanotronConfigError("TypeError", f"fits no model config class (LlamaConfig refuses it for an unknown or "
                                          f"mistyped key): {error}", "model_config") from None
            except NanotronConfigError as error:
                raise error.at("model_config") from None


# ---- data ----------------------------------------------------------------------------------
@dataclass
class _HubDatasetsArgs:
    """The fields nanotron's ``PretrainDatasetsArgs`` and ``SFTDatasetsArgs`` share (Hugging Face datasets)."""

    hf_dataset_or_datasets: str | list | dict
    hf_dataset_splits: str | list | None = None
    hf_dataset_config_name: str | None = None
    dataset_processing_num_proc_per_process: int | None = 1
    dataset_overwrite_cache: bool | None = False

    def __post_init__(self):
        if self.hf_dataset_splits is None:
            self.hf_dataset_splits = "train"


@dataclass
class PretrainDatasetsArgs(_HubDatasetsArgs):
    text_column_name: str | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.text_column_name is None:
            self.text_column_name = "text"


@dataclass
class SFTDatasetsArgs(_HubDatasetsArgs):
    sft_dataloader: bool | None = True
    debug_max_samples: int | None = None


def _tokenizer_vocabulary(name: str) -> int:
    """What nanotron takes as a dataset's vocabulary when the config names no tokenizer: ``len(get_vocab())``."""
    try:
        from transformers import AutoTokenizer

        return len(AutoTokenizer.from_pretrained(name).get_vocab())
    except Exception as error:  # nanotron's loader fails with whatever AutoTokenizer raises
        fail(type(error).__name__, f"with no tokenizer_name, vocab_size and token_size_in_bytes in the dataset block nanotron "
                                   f"loads the metadata's tokenizer {name!r} with AutoTokenizer, which fails: {error}")


@dataclass
class NanosetDatasetsArgs:
    dataset_folder: str | list[str]
    dataset_weights: list[float] | None = None
    dataset_read_path: str | list[str] | None = None
    tokenizer_name: str | None = None
    vocab_size: int | None = None
    token_size_in_bytes: int | None = None
    return_positions: bool | None = True
    skip_in_stream: bool | None = False
    pad_samples_to_global_batch_size: bool | None = False
    dataset_max_tokens: list[int] | None = None
    shuffle_files: bool | None = False
    use_old_brrr_dataloader: bool | None = False

    def __post_init__(self):
        if isinstance(self.dataset_folder, str):
            self.dataset_folder = [self.dataset_folder]
            self.dataset_weights = [1]
        if self.dataset_weights is not None and len(self.dataset_weights) != len(self.dataset_folder):
            fail("ValueError", f"{len(self.dataset_weights)} dataset weights for {len(self.dataset_folder)} dataset folders")
        for folder in self.dataset_folder:
            # nanotron reads the first line of one metadata file per folder; every file is read here.
            for metadata in sorted(glob.glob(os.path.join(folder, "*.metadata"))):
                with open(metadata, encoding="utf-8") as stream:
                    first_line = stream.readline().strip()
                if "|" not in first_line:
                    continue
                name, _, size = first_line.partition("|")
                if self.tokenizer_name is None:
                    self.tokenizer_name, self.token_size_in_bytes = name, int(size)
                    self.vocab_size = _tokenizer_vocabulary(name)
                elif self.tokenizer_name != name:
                    fail("AssertionError", f"{metadata} names tokenizer {name!r}, the dataset block {self.tokenizer_name!r}")
                elif self.token_size_in_bytes != int(size):
                    fail("AssertionError", f"{metadata} has {size}-byte tokens, the dataset block says {self.token_size_in_bytes}")
        if self.dataset_read_path is not None and len(self.dataset_read_path) != len(self.dataset_folder):
            fail("ValueError", f"{len(self.dataset_read_path)} dataset read paths for {len(self.dataset_folder)} dataset folders")


@dataclass
class DataArgs:
    dataset: PretrainDatasetsArgs | NanosetDatasetsArgs | SFTDatasetsArgs | None
    seed: int | None
    num_loading_workers: int | None = 1

    def __post_init__(self):
        if self.seed is None:
            self.seed = DEFAULT_SEED


@dataclass
class DatasetStageArgs:
    name: str
    start_training_step: int
    data: DataArgs
    sequence_length: int | None = None

    def __post_init__(self):
        if self.start_training_step < 0:
            fail("ValueError", f"start_training_step should be positive, not {self.start_training_step}")


# ---- lighteval -----------------------------------------------------------------------------
@dataclass
class GenerationArgs:
    sampler: str | SamplerType | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    n_samples: int | None = None
    eos: str | None = None
    seed: int | None = None
    use_cache: bool | None = False

    def __post_init__(self):
        if isinstance(self.sampler, str):
            self.sampler = _by_name(SamplerType)(self.sampler)
        if self.seed is None:
            self.seed = DEFAULT_SEED


@dataclass
class LightEvalLoggingArgs:
    local_output_path: Path | None = None
    push_results_to_hub: bool | None = None
    push_details_to_hub: bool | None = None
    push_results_to_tensorboard: bool | None = None
    hub_repo_results: str | None = None
    hub_repo_details: str | None = None
    hub_repo_tensorboard: str | None = None
    tensorboard_metric_prefix: str | None = None


@dataclass
class LightEvalTasksArgs:
    tasks: str | None = None
    custom_tasks: str | None = None
    max_samples: int | None = None
    num_fewshot_seeds: int | None = None
    dataset_loading_processes: int | None = 8
    multichoice_continuations_start_space: bool | None = None
    no_multichoice_continuations_start_space: bool | None = None


@dataclass
class LightEvalWandbLoggerConfig:
    wandb_project: str = ""
    wandb_entity: str | None = None
    wandb_run_name: str | None = None

    def __post_init__(self):
        if self.wandb_project == "":
            fail("AssertionError", "specify a wandb_project")


@dataclass
class LightEvalSlurm:
    gpus_per_node: int = 8
    partition: str = "hopper-prod"
    hf_cache: str = "~/.cache/huggingface"
    cpus_per_task: int = 88
    qos: str = "low"
    time: str = "24:00:00"
    reservation: str | None = "smollm"


@dataclass
class LightEvalConfig:
    slurm_script_dir: Path | None = Path("eval_results/launch-config")
    logs_path: Path | None = Path("eval_results/logs")
    local_checkpoint_dir: Path = Path("/scratch")
    parallelism: ParallelismArgs | None = None
    batch_size: int | None = None
    generation: GenerationArgs | dict[str, GenerationArgs] | None = None
    tasks: LightEvalTasksArgs | None = None
    logging: LightEvalLoggingArgs | None = None
    wandb: LightEvalWandbLoggerConfig | None = None
    slurm: LightEvalSlurm | None = None
    s3_save_path: str | None = None
    upload_to_wandb: bool | None = False
    wandb_project: str | None = None
    wandb_entity: str | None = None
    output_dir: str | None = None
    nanotron_path: str | None = "./"
    eval_config_override: Path = None
    eval_interval: int | None = None
    eval_interval_file: Path | None = None

    def __post_init__(self):
        if self.parallelism is None:
            self.parallelism = ParallelismArgs(dp=1, pp=1, tp=1, tp_linear_async_communication=True)
        if self.slurm is None:
            self.slurm = LightEvalSlurm()
        if self.upload_to_wandb and (self.s3_save_path is None or self.wandb_project is None or self.wandb_entity is None):
            fail("AssertionError", "upload_to_wandb needs s3_save_path, wandb_project and wandb_entity")


# ---- the whole config ----------------------------------------------------------------------
@dataclass
class Config:
    general: GeneralArgs
    parallelism: ParallelismArgs
    model: ModelArgs
    tokenizer: TokenizerArgs | None = None
    checkpoints: CheckpointsArgs | None = None
    logging: LoggingArgs | None = None
    metrics_logging: MetricsLoggingArgs | None = None
    tokens: TokensArgs | None = None
    optimizer: OptimizerArgs | None = None
    data_stages: list[DatasetStageArgs] | None = None
    profiler: ProfilerArgs | None = None
    lighteval: LightEvalConfig | None = None
    s3_upload: S3UploadArgs | None = None

    def __post_init__(self):
        try:
            self._check()
        except AttributeError as error:  # a section another check needs is missing, as in nanotron
            fail("AttributeError", str(error))

    def _check(self):
        if self.s3_upload is not None and self.lighteval is not None and self.lighteval.eval_interval is not None:
            if self.lighteval.eval_interval % self.checkpoints.checkpoint_interval:
                fail("AssertionError", "lighteval.eval_interval must be a multiple of checkpoints.checkpoint_interval")
        if self.profiler is not None and self.profiler.profiler_export_path is not None:
            profiled = self.profiler.skip_first + self.profiler.repeat * (self.profiler.wait + self.profiler.warmup + self.profiler.active)
            if self.tokens.train_steps < profiled:
                fail("AssertionError", f"profiling takes {profiled} steps, more than train_steps ({self.tokens.train_steps})")
        schedule = self.optimizer.learning_rate_scheduler if self.optimizer is not None else None
        if schedule is not None and schedule.lr_decay_steps is None:
            schedule.lr_decay_steps = self.tokens.train_steps - schedule.lr_warmup_steps
        model = self.model.model_config
        if self.data_stages is not None:
            self.data_stages = sorted(self.data_stages, key=lambda stage: stage.start_training_step)
            names = [stage.name for stage in self.data_stages]
            starts = [stage.start_training_step for stage in self.data_stages]
            if 1 not in starts:
                fail("AssertionError", "data_stages needs a stage with start_training_step 1")
            if len(set(names)) != len(names):
                fail("ValueError", f"data stage names must be unique, got {names}")
            if len(set(starts)) != len(starts):
                fail("ValueError", f"data stage start steps must be unique, got {starts}")
            for position, stage in enumerate(self.data_stages):
                dataset = stage.data.dataset
                if not isinstance(dataset, NanosetDatasetsArgs):
                    continue
                where = f"data_stages[{position}].data.dataset"
                if model.vocab_size == -1:
                    model.vocab_size = dataset.vocab_size
                if model.vocab_size != dataset.vocab_size:
                    fail("AssertionError", f"the model's vocab_size ({model.vocab_size}) does not match {where}.vocab_size ({dataset.vocab_size})")
                if self.tokenizer is None:
                    self.tokenizer = TokenizerArgs(tokenizer_name_or_path=dataset.tokenizer_name)
                if self.tokenizer.tokenizer_name_or_path != dataset.tokenizer_name:
                    fail("AssertionError", f"tokenizer.tokenizer_name_or_path ({self.tokenizer.tokenizer_name_or_path!r}) does not "
                                           f"match {where}.tokenizer_name ({dataset.tokenizer_name!r})")
        heads, kv_heads, tp = model.num_attention_heads, model.num_key_value_heads, self.parallelism.tp
        if heads % tp:
            fail("AssertionError", f"num_attention_heads ({heads}) must be divisible by tp ({tp})")
        if heads < kv_heads:
            fail("AssertionError", f"num_attention_heads ({heads}) must be >= num_key_value_heads ({kv_heads})")
        if kv_heads < tp:
            fail("AssertionError", f"num_key_value_heads ({kv_heads}) must be >= tp ({tp})")
        if heads % kv_heads:
            fail("AssertionError", f"num_attention_heads ({heads}) must be divisible by num_key_value_heads ({kv_heads})")
        for stage in self.data_stages or ():
            if stage.sequence_length is None:
                stage.sequence_length = self.tokens.sequence_length

    @property
    def global_batch_size(self) -> int:
        """Sequences per optimizer step: micro batch x accumulation x data-parallel replicas."""
        return self.tokens.micro_batch_size * self.tokens.batch_accumulation_per_replica * self.parallelism.dp


def config_from_dict(data: Any) -> Config:
    """A :class:`Config` loaded from plain data with nanotron's strict rules; :class:`NanotronConfigError` if nanotron refuses it."""
    return StrictLoader(HOOKS).load(Config, data)


def load_config(path: str | Path) -> Config:
    """A nanotron YAML file loaded as nanotron's ``get_config_from_file`` loads it."""
    with open(path, encoding="utf-8") as stream:
        return config_from_dict(yaml.load(stream, Loader=yaml.SafeLoader))


def config_to_yaml(config: Config) -> str:
    """The YAML nanotron reads back into the same config."""
    return yaml.safe_dump(to_plain(config), sort_keys=False)
