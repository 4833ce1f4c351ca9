"""nanotron Llama checkpoint -> Hugging Face folder: logits equal to the original model's, on checkpoints in nanotron's layout.

The writer below follows nanotron's ``save_weights`` and ``create_sharded_parameter_from_config``
(pinned commit): one safetensors file per tensor under key "data"; sharded tensors carry
``local_global_slices_pairs`` and ``unsharded_shape``; fused qkv and gate_up shard inside each
contiguous chunk; o_proj/down_proj split their input dimension; embeddings and lm_head the vocabulary.
"""

import json

import pytest

torch = pytest.importorskip("torch", reason="needs the train extra: pip install 'alignment-data[train]'")
pytest.importorskip("transformers", reason="needs the train extra: pip install 'alignment-data[train]'")
pytest.importorskip("safetensors")

from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM  # noqa: E402

from alignment_data.errors import InputError  # noqa: E402
from tests.trainer_helpers import make_tokenizer  # noqa: E402
from trainers.nanotron.convert import convert_checkpoint, main  # noqa: E402


def _slice_text(item: slice) -> str:
    return ",".join("None" if part is None else str(part) for part in (item.start, item.stop, item.step))


def _pairs_text(pairs) -> str:
    return ";".join("|".join(map(_slice_text, local)) + "#" + "|".join(map(_slice_text, target)) for local, target in pairs)


def _save(path, tensor, pairs=None, shape=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = None if pairs is None else {"version": "1.5", "local_global_slices_pairs": _pairs_text(pairs),
                                           "unsharded_shape": str(tuple(shape))}
    save_file({"data": tensor.contiguous()}, str(path), metadata=metadata)


def _save_sharded(folder, full, tp, dim, chunks=None):
    """nanotron's split: shard ``full`` along ``dim`` inside each contiguous chunk, one file per tensor-parallel rank."""
    chunks = chunks or (full.shape[dim],)
    starts = [sum(chunks[:i]) for i in range(len(chunks))]
    for rank in range(tp):
        parts, pairs, local_start = [], [], 0
        for chunk, start in zip(chunks, starts):
            shard = chunk // tp
            parts.append(full.narrow(dim, start + rank * shard, shard))
            every = [slice(None)] * full.dim()
            local, target = list(every), list(every)
            local[dim], target[dim] = slice(local_start, local_start + shard), slice(start + rank * shard, start + (rank + 1) * shard)
            pairs.append((tuple(local), tuple(target)))
            local_start += shard
        _save(folder / f"model_weight_pp-rank-0-of-1_tp-rank-{rank}-of-{tp}.safetensors", torch.cat(parts, dim), pairs, full.shape)


def write_nanotron_checkpoint(model: LlamaForCausalLM, root, tp: int, step: int = 10):
    """``root`` as nanotron writes a checkpoints folder: latest.txt, <step>/model_config.json, <step>/model/model/..."""
    config, weights = model.config, model.state_dict()
    folder = root / str(step)
    base = folder / "model" / "model"
    heads, kv_heads, head_dim = config.num_attention_heads, config.num_key_value_heads, config.hidden_size // config.num_attention_heads
    (root / "latest.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "latest.txt").write_text(str(step))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_config.json").write_text(json.dumps({
        "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": config.hidden_size, "initializer_range": 0.02,
        "intermediate_size": config.intermediate_size, "is_llama_config": True, "max_position_embeddings": config.max_position_embeddings,
        "num_attention_heads": heads, "num_hidden_layers": config.num_hidden_layers, "attention_bias": False,
        "num_key_value_heads": kv_heads, "pad_token_id": None, "pretraining_tp": 1, "rms_norm_eps": config.rms_norm_eps,
        "rope_scaling": None, "rope_theta": config.rope_parameters["rope_theta"], "rope_interleaved": False,
        "tie_word_embeddings": config.tie_word_embeddings, "use_cache": True, "vocab_size": config.vocab_size,
        "_attn_implementation": "flash_attention_2", "z_loss_enabled": False, "z_loss_coefficient": 0.0001}))
    _save_sharded(base / "token_position_embeddings" / "pp_block" / "token_embedding", weights["model.embed_tokens.weight"], tp, 0)
    _save(base / "final_layer_norm" / "pp_block" / "model_weight.safetensors", weights["model.norm.weight"])
    if not config.tie_word_embeddings:
        _save_sharded(base / "lm_head" / "pp_block", weights["lm_head.weight"], tp, 0)
    for layer in range(config.num_hidden_layers):
        hf, block = f"model.layers.{layer}", base / "decoder" / str(layer) / "pp_block"
        qkv = torch.cat([weights[f"{hf}.self_attn.{name}_proj.weight"] for name in "qkv"])
        _save_sharded(block / "attn" / "qkv_proj", qkv, tp, 0, (heads * head_dim, kv_heads * head_dim, kv_heads * head_dim))
        _save_sharded(block / "attn" / "o_proj", weights[f"{hf}.self_attn.o_proj.weight"], tp, 1)
        gate_up = torch.cat([weights[f"{hf}.mlp.gate_proj.weight"], weights[f"{hf}.mlp.up_proj.weight"]])
        _save_sharded(block / "mlp" / "gate_up_proj", gate_up, tp, 0, (config.intermediate_size, config.intermediate_size))
        _save_sharded(block / "mlp" / "down_proj", weights[f"{hf}.mlp.down_proj.weight"], tp, 1)
        for norm in ("input_layernorm", "post_attention_layernorm"):
            _save(block / norm / "model_weight.safetensors", weights[f"{hf}.{norm}.weight"])
    return root


def _model(tied=False, vocab=128):
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=64, tie_word_embeddings=tied,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    return make_tokenizer(tmp_path_factory.mktemp("tok"), vocab_size=100)


def _logits(model, ids):
    with torch.no_grad():
        return model(ids).logits


@pytest.mark.parametrize("tp,tied", [(2, False), (4, False), (2, True)])
def test_converted_model_gives_the_original_logits(tmp_path, tokenizer_dir, tp, tied):
    original = _model(tied=tied)
    checkpoints = write_nanotron_checkpoint(original, tmp_path / "checkpoints", tp=tp)
    out = convert_checkpoint(checkpoints, tmp_path / "hf", tokenizer_dir)
    converted = AutoModelForCausalLM.from_pretrained(out).eval()
    assert AutoTokenizer.from_pretrained(out) is not None
    ids = torch.randint(0, 128, (2, 16), generator=torch.Generator().manual_seed(1))
    assert torch.equal(_logits(original, ids), _logits(converted, ids))
    assert converted.config.vocab_size == 128  # the padded vocabulary is kept by default


def test_trim_vocab_cuts_the_padding_and_keeps_real_logits(tmp_path, tokenizer_dir):
    original = _model()
    checkpoints = write_nanotron_checkpoint(original, tmp_path / "checkpoints", tp=2)
    assert main(["--checkpoint", str(checkpoints / "10"), "--tokenizer", str(tokenizer_dir), "--output", str(tmp_path / "hf"),
                 "--trim-vocab"]) == 0
    converted = AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    ids = torch.randint(0, 100, (1, 12), generator=torch.Generator().manual_seed(2))
    assert converted.config.vocab_size == 100
    assert torch.equal(_logits(original, ids)[..., :100], _logits(converted, ids))


def test_missing_shard_is_a_clear_error(tmp_path, tokenizer_dir):
    checkpoints = write_nanotron_checkpoint(_model(), tmp_path / "checkpoints", tp=2)
    (checkpoints / "10/model/model/decoder/1/pp_block/mlp/down_proj/model_weight_pp-rank-0-of-1_tp-rank-1-of-2.safetensors").unlink()
    with pytest.raises(InputError, match=r"down_proj.*shards missing: ranks \[1\] of 2"):
        convert_checkpoint(checkpoints, tmp_path / "hf", tokenizer_dir)


def test_another_architecture_is_refused(tmp_path, tokenizer_dir):
    checkpoints = write_nanotron_checkpoint(_model(), tmp_path / "checkpoints", tp=1)
    config_file = checkpoints / "10" / "model_config.json"
    config = json.loads(config_file.read_text())
    config.pop("is_llama_config")
    config["is_qwen2_config"] = True
    config_file.write_text(json.dumps(config))
    with pytest.raises(InputError, match="a qwen2 checkpoint"):
        convert_checkpoint(checkpoints, tmp_path / "hf", tokenizer_dir)


def test_not_a_checkpoint_and_a_too_large_tokenizer(tmp_path, tokenizer_dir):
    with pytest.raises(InputError, match="not a nanotron checkpoint"):
        convert_checkpoint(tmp_path, tmp_path / "hf", tokenizer_dir)
    checkpoints = write_nanotron_checkpoint(_model(vocab=64), tmp_path / "checkpoints", tp=1)
    with pytest.raises(InputError, match="more than the checkpoint's vocabulary of 64"):
        convert_checkpoint(checkpoints, tmp_path / "hf", tokenizer_dir)
