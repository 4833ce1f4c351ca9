"""Convert a nanotron Llama checkpoint to a Hugging Face ``LlamaForCausalLM`` folder, on CPU.

    python trainers/nanotron/convert.py --checkpoint CHECKPOINTS[/STEP] --tokenizer TOKENIZER --output HF_DIR [--trim-vocab]

nanotron saves one safetensors file per tensor (key ``"data"``) under
``<step>/model/model/...``; a tensor split over tensor-parallel ranks is one file per rank,
``model_weight_pp-rank-P-of-N_tp-rank-R-of-T.safetensors``, whose metadata maps its local
slices to slices of the whole tensor (``local_global_slices_pairs``, ``unsharded_shape``).
This converter puts every tensor back together from that metadata alone (so any split:
column-parallel fused ``qkv_proj`` [q; k; v] and ``gate_up_proj`` [gate; up], row-parallel
``o_proj``/``down_proj``, vocabulary-split embeddings and ``lm_head``), splits the fused
projections into Hugging Face's, and writes the model with the tokenizer. It needs neither
nanotron nor a GPU (nanotron's own converter needs both and pins transformers 4.39).

The vocabulary stays as trained (nanotron's padded size, 50,304 for the study's model): the
logits equal nanotron's. ``--trim-vocab`` cuts the embedding and ``lm_head`` rows to the
tokenizer's length instead; logits of real tokens are unchanged, the padding ids disappear.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import from the repository root, not from this folder
    sys.path[0] = str(Path(__file__).resolve().parents[2])

from alignment_data.errors import AlignmentDataError, InputError  # noqa: E402

SHARD = re.compile(r"model_weight_pp-rank-(\d+)-of-(\d+)_tp-rank-(\d+)-of-(\d+)\.safetensors$")
OTHER_ARCHITECTURES = ("is_qwen2_config", "is_starcoder2_config", "is_mamba_config")


@dataclass(frozen=True)
class NanotronLlama:
    """What a checkpoint step holds: its model config (``model_config.json``) and where its tensors are."""

    step_folder: Path
    config: dict

    @property
    def tied(self) -> bool:
        return bool(self.config.get("tie_word_embeddings", False))


def find_step(checkpoint: str | Path) -> Path:
    """A step folder: ``checkpoint`` itself, or the step ``latest.txt`` names inside a checkpoints folder."""
    checkpoint = Path(checkpoint)
    if (checkpoint / "model_config.json").is_file():
        return checkpoint
    latest = checkpoint / "latest.txt"
    if latest.is_file():
        step = latest.read_text().strip()
        if (checkpoint / step / "model_config.json").is_file():
            return checkpoint / step
        raise InputError(f"latest.txt names step {step!r}, which has no model_config.json", file=str(latest))
    raise InputError("not a nanotron checkpoint: no model_config.json here and no latest.txt naming a step", file=str(checkpoint))


def open_checkpoint(checkpoint: str | Path) -> NanotronLlama:
    """The checkpoint's step, refusing anything but a Llama with nanotron's non-interleaved rotary embedding."""
    step = find_step(checkpoint)
    where = str(step / "model_config.json")
    try:
        config = json.loads((step / "model_config.json").read_text())
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error}", file=where) from None
    other = [key.removeprefix("is_").removesuffix("_config") for key in OTHER_ARCHITECTURES if config.get(key)]
    if other or not config.get("is_llama_config"):
        raise InputError(f"a {other[0] if other else 'non-Llama'} checkpoint: this converter reads nanotron Llama checkpoints only",
                         file=where)
    if config.get("rope_interleaved"):
        raise InputError("rope_interleaved is true: that rotary layout is not Hugging Face Llama's; train with rope_interleaved: "
                         "false (as make_config.py writes) to convert", file=where, field="rope_interleaved")
    if config.get("rope_scaling"):
        raise InputError("rope_scaling is set; only plain rotary embeddings are converted", file=where, field="rope_scaling")
    return NanotronLlama(step, config)


def _parse_slice(text: str) -> slice:
    return slice(*(None if part == "None" else int(part) for part in text.split(",")))


def _parse_shape(text: str) -> tuple[int, ...]:
    # nanotron writes str(tuple(shape)); numpy integers show as "np.int64(5)"
    return tuple(int(re.sub(r"[^0-9]", "", part)) for part in text.strip("()").split(",") if part.strip())


def read_tensor(folder: Path):
    """One tensor from its folder: the plain file, or every tensor-parallel shard placed by its slice metadata."""
    import torch
    from safetensors import safe_open

    plain = folder / "model_weight.safetensors"
    if plain.is_file():
        with safe_open(str(plain), framework="pt") as stream:
            return stream.get_tensor("data")
    shards = [(match, path) for path in sorted(folder.glob("model_weight_*.safetensors")) if (match := SHARD.search(path.name))]
    if not shards:
        raise InputError("no weight file here (model_weight.safetensors or its tensor-parallel shards)", file=str(folder))
    sizes = {int(match.group(4)) for match, _ in shards}
    ranks = {int(match.group(3)) for match, _ in shards}
    if len(sizes) != 1 or ranks != set(range(max(sizes))):
        missing = sorted(set(range(max(sizes))) - ranks)
        raise InputError(f"tensor-parallel shards missing: ranks {missing} of {max(sizes)} (found {sorted(ranks)})", file=str(folder))
    whole, filled = None, 0
    for _, path in shards:
        with safe_open(str(path), framework="pt") as stream:
            metadata, shard = stream.metadata() or {}, stream.get_tensor("data")
        if "local_global_slices_pairs" not in metadata or "unsharded_shape" not in metadata:
            raise InputError("a shard without local_global_slices_pairs / unsharded_shape metadata", file=str(path))
        shape = _parse_shape(metadata["unsharded_shape"])
        if whole is None:
            whole = torch.empty(shape, dtype=shard.dtype)
        for pair in metadata["local_global_slices_pairs"].split(";"):
            local_text, global_text = pair.split("#")
            local = tuple(map(_parse_slice, local_text.split("|")))
            target = tuple(map(_parse_slice, global_text.split("|")))
            whole[target] = shard[local]
            filled += shard[local].numel()
    if filled != whole.numel():
        raise InputError(f"the shards cover {filled:,} of the tensor's {whole.numel():,} values", file=str(folder))
    return whole


def hf_state_dict(model: NanotronLlama) -> dict:
    """The checkpoint's weights under Hugging Face Llama's names, fused projections split."""
    config, root = model.config, model.step_folder / "model" / "model"
    heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"]
    head_dim = config["hidden_size"] // heads
    q_rows, kv_rows = heads * head_dim, kv_heads * head_dim
    state = {"model.embed_tokens.weight": read_tensor(root / "token_position_embeddings" / "pp_block" / "token_embedding"),
             "model.norm.weight": read_tensor(root / "final_layer_norm" / "pp_block")}
    for layer in range(config["num_hidden_layers"]):
        block, prefix = root / "decoder" / str(layer) / "pp_block", f"model.layers.{layer}"
        if not block.is_dir():
            raise InputError(f"layer {layer} of {config['num_hidden_layers']} is missing", file=str(block))
        qkv = read_tensor(block / "attn" / "qkv_proj")
        if qkv.shape[0] != q_rows + 2 * kv_rows:
            raise InputError(f"qkv_proj has {qkv.shape[0]} rows, not {q_rows} + 2 x {kv_rows} for {heads} heads and "
                             f"{kv_heads} key/value heads", file=str(block / "attn" / "qkv_proj"))
        gate_up = read_tensor(block / "mlp" / "gate_up_proj")
        state.update({
            f"{prefix}.self_attn.q_proj.weight": qkv[:q_rows].clone(),
            f"{prefix}.self_attn.k_proj.weight": qkv[q_rows:q_rows + kv_rows].clone(),
            f"{prefix}.self_attn.v_proj.weight": qkv[q_rows + kv_rows:].clone(),
            f"{prefix}.self_attn.o_proj.weight": read_tensor(block / "attn" / "o_proj"),
            f"{prefix}.mlp.gate_proj.weight": gate_up[:config["intermediate_size"]].clone(),
            f"{prefix}.mlp.up_proj.weight": gate_up[config["intermediate_size"]:].clone(),
            f"{prefix}.mlp.down_proj.weight": read_tensor(block / "mlp" / "down_proj"),
            f"{prefix}.input_layernorm.weight": read_tensor(block / "input_layernorm"),
            f"{prefix}.post_attention_layernorm.weight": read_tensor(block / "post_attention_layernorm"),
        })
    if not model.tied:
        state["lm_head.weight"] = read_tensor(root / "lm_head" / "pp_block")
    return state


def hf_config(model: NanotronLlama, vocab_size: int):
    """The Hugging Face ``LlamaConfig`` of the checkpoint's model config."""
    from transformers import LlamaConfig

    config = model.config
    return LlamaConfig(
        vocab_size=vocab_size, hidden_size=config["hidden_size"], intermediate_size=config["intermediate_size"],
        num_hidden_layers=config["num_hidden_layers"], num_attention_heads=config["num_attention_heads"],
        num_key_value_heads=config.get("num_key_value_heads") or config["num_attention_heads"],
        max_position_embeddings=config["max_position_embeddings"], rms_norm_eps=config["rms_norm_eps"],
        hidden_act=config["hidden_act"], tie_word_embeddings=model.tied, attention_bias=config.get("attention_bias", False),
        rope_parameters={"rope_type": "default", "rope_theta": float(config["rope_theta"])},
        bos_token_id=config.get("bos_token_id"), eos_token_id=config.get("eos_token_id"), pad_token_id=config.get("pad_token_id"))


def load_any_tokenizer(path: str | Path):
    """A tokenizer folder or a ``tokenizer.json`` file, as a transformers fast tokenizer."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    path = Path(path)
    if path.is_dir():
        return AutoTokenizer.from_pretrained(str(path))
    if path.is_file():
        return PreTrainedTokenizerFast(tokenizer_file=str(path))
    raise InputError("tokenizer not found", file=str(path))


def convert_checkpoint(checkpoint: str | Path, output: str | Path, tokenizer: str | Path, trim_vocab: bool = False) -> Path:
    """Write ``output`` as a Hugging Face Llama folder (model + tokenizer) from a nanotron checkpoint; returns ``output``.

    The weights are written straight to ``model.safetensors`` in the checkpoint's dtype: no
    model is built, so converting needs about one copy of the weights in memory.
    """
    from safetensors.torch import save_file

    model = open_checkpoint(checkpoint)
    tok = load_any_tokenizer(tokenizer)
    state = hf_state_dict(model)
    vocab = state["model.embed_tokens.weight"].shape[0]
    if len(tok) > vocab:
        raise InputError(f"the tokenizer has {len(tok):,} tokens, more than the checkpoint's vocabulary of {vocab:,}: "
                         "it is not the tokenizer this model was trained with", file=str(tokenizer))
    if trim_vocab:
        vocab = len(tok)
        state = {name: tensor[:vocab].clone() if name in ("model.embed_tokens.weight", "lm_head.weight") else tensor
                 for name, tensor in state.items()}
    config = hf_config(model, vocab)
    config.dtype = state["model.embed_tokens.weight"].dtype
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(output)
    save_file({name: tensor.contiguous() for name, tensor in state.items()}, str(output / "model.safetensors"), metadata={"format": "pt"})
    tok.save_pretrained(output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="convert a nanotron Llama checkpoint to a Hugging Face model folder (CPU)")
    parser.add_argument("--checkpoint", required=True, help="a step folder, or a checkpoints folder whose latest.txt names one")
    parser.add_argument("--tokenizer", required=True, help="the tokenizer the run used (a folder or tokenizer.json; the mix's manifest names it)")
    parser.add_argument("--output", required=True, help="folder to write the Hugging Face model and tokenizer to")
    parser.add_argument("--trim-vocab", action="store_true", help="cut the padded vocabulary to the tokenizer's length")
    args = parser.parse_args(argv)
    try:
        output = convert_checkpoint(args.checkpoint, args.output, args.tokenizer, args.trim_vocab)
    except AlignmentDataError as error:
        print(f"convert: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"output": str(output.resolve()), "step_folder": str(find_step(args.checkpoint).resolve())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
