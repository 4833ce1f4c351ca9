"""Hugging Face transformers backend: log-probabilities from a local causal language model.

Tokenization follows lm-evaluation-harness exactly, so the numbers agree with it: trailing
whitespace of the context moves into the continuation, ``context + continuation`` is
encoded jointly and split at the length of the encoded context, and special tokens are
added as the tokenizer adds them by default (not twice when the text starts with BOS).

Speed comes from three things. When every continuation of a prompt is one token (letter
scoring) both letters are read from one forward pass. Logits are computed only at the
positions that are read, not over the whole sequence. And the formats of one question share
their first tokens (the prefix and the question text): that shared prefix is computed once
per question and its key-value cache reused by every format (``shared_prefix``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alignment_data.errors import ConfigError, InputError, MissingExtraError
from alignment_data.eval.backends.base import (
    BATCH_SIZE_HELP,
    DEFAULT_TOP_K,
    TOKENIZER_HELP,
    Backend,
    Request,
    Scores,
    move_trailing_space,
    register_backend,
)
from alignment_data.options import option

DTYPES = ("auto", "float32", "bfloat16", "float16")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "spiece.model")
CONTEXT_ATTRIBUTES = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "n_ctx")
MIN_SHARED_PREFIX = 2


@dataclass(frozen=True)
class HFOptions:
    device: str = option("auto", "cpu, cuda, cuda:N or auto (a GPU when there is one)")
    dtype: str = option("auto", "weights' dtype: auto (the checkpoint's own), float32, bfloat16, float16", choices=DTYPES)
    batch_size: int = option(32, BATCH_SIZE_HELP)
    tokenizer: str | None = option(None, TOKENIZER_HELP, metavar="FOLDER")
    shared_prefix: bool = option(True, "compute each question's shared prefix once for all its formats (key-value cache)")


def _require_transformers():
    try:
        import torch
        import transformers
    except ImportError as error:
        raise MissingExtraError(f"the hf backend needs torch and transformers: pip install 'alignment-data[eval]' ({error})") from None
    return torch, transformers


def has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


def load_tokenizer(model: str, tokenizer: str | None = None):
    """The tokenizer of a model folder (or ``tokenizer``); a folder without one is a located error."""
    _, transformers = _require_transformers()
    source = Path(tokenizer or model)
    if source.is_dir() and not has_tokenizer(source):
        hint = "pass --tokenizer FOLDER" if tokenizer is None else "give a folder saved with save_pretrained"
        raise InputError(f"no tokenizer in the model folder (looked for {', '.join(TOKENIZER_FILES)}); {hint}", str(source))
    try:
        return transformers.AutoTokenizer.from_pretrained(str(source))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot load a tokenizer: {error}", str(source)) from None


def load_model(model: str, dtype: str = "auto", device: str = "cpu"):
    torch, transformers = _require_transformers()
    folder = Path(model)
    if folder.exists() and not (folder / "config.json").is_file():
        raise InputError("not a Hugging Face model folder (no config.json)", str(folder))
    kwargs = {"dtype": "auto" if dtype == "auto" else getattr(torch, dtype)}
    try:
        loaded = transformers.AutoModelForCausalLM.from_pretrained(str(folder), **kwargs)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot load the model: {error}", str(folder)) from None
    return loaded.to(device).eval()


def resolve_device(device: str) -> str:
    torch, _ = _require_transformers()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no GPU is available here")
    return device


def context_length(model, tokenizer) -> int:
    """The longest input the model takes, as lm-evaluation-harness resolves it."""
    for name in CONTEXT_ATTRIBUTES:
        value = getattr(model.config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and limit < 1_000_000 else 2048


@dataclass
class _Row:
    """One model input: ``tokens`` (context + all but the last continuation token), read from ``start``."""

    request: int
    continuations: tuple[int, ...]
    tokens: list[int]
    start: int
    reads: int


@dataclass
class _Chunk:
    rows: list[_Row]
    prefix: int  # tokens shared by every row, computed once


@register_backend("hf", HFOptions)
class HFBackend(Backend):
    """A local causal language model (a folder saved with ``save_pretrained``), on CPU or GPU."""

    def __init__(self, model, tokenizer, batch_size: int = 32, shared_prefix: bool = True, source: str = ""):
        torch, _ = _require_transformers()
        if batch_size < 1:
            raise ConfigError("--batch-size must be at least 1")
        self.torch, self.model, self.tokenizer = torch, model, tokenizer
        self.batch_size, self.shared_prefix, self.source = batch_size, shared_prefix, source
        self.device = next(model.parameters()).device
        self.max_length = context_length(model, tokenizer)
        prefix_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self.prefix_id = prefix_id
        self.bos_text = tokenizer.decode([prefix_id]) if prefix_id is not None else None
        self.pad_id = next(i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0) if i is not None)
        parameters = inspect.signature(model.forward).parameters
        self.keeps_logits = "logits_to_keep" in parameters
        self.cache_name = "cache" if "cache" in parameters else "past_key_values"  # renamed in transformers 5.2x
        self.forward_passes = 0

    @classmethod
    def from_options(cls, model: str, options: HFOptions | None = None) -> HFBackend:
        options = options or HFOptions()
        tokenizer = load_tokenizer(model, options.tokenizer)
        loaded = load_model(model, options.dtype, resolve_device(options.device))
        return cls(loaded, tokenizer, options.batch_size, options.shared_prefix, source=str(model))

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.source, "device": str(self.device), "dtype": str(self.model.dtype).replace("torch.", ""),
                "batch_size": self.batch_size, "shared_prefix": self.shared_prefix, "max_length": self.max_length}

    def chat_template(self) -> Callable[[list[dict[str, str]]], str] | None:
        if not getattr(self.tokenizer, "chat_template", None):
            return None
        return lambda messages: self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    # tokenization, as lm-evaluation-harness does it
    def _encode_all(self, texts: list[str]) -> dict[str, list[int]]:
        unique = sorted(set(texts))
        plain = [text for text in unique if not (self.bos_text and text.startswith(self.bos_text))]
        with_bos = [text for text in unique if self.bos_text and text.startswith(self.bos_text)]
        out: dict[str, list[int]] = {}
        if plain:
            out.update(zip(plain, self.tokenizer(plain)["input_ids"]))
        if with_bos:
            out.update(zip(with_bos, self.tokenizer(with_bos, add_special_tokens=False)["input_ids"]))
        return out

    def encode_pairs(self, requests: Sequence[Request]) -> list[tuple[list[int], list[list[int]]]]:
        """``(context tokens, [continuation tokens])`` per request, split on the joint encoding."""
        pairs = [[move_trailing_space(r.context, c) for c in r.continuations] for r in requests]
        texts = [text for request in pairs for ctx, cont in request for text in (ctx, ctx + cont) if ctx]
        encoded = self._encode_all(texts)
        out = []
        for request in pairs:
            context_tokens, continuations = None, []
            for ctx, cont in request:
                if not ctx:  # empty context: the prefix token conditions the continuation
                    whole = self.tokenizer(cont, add_special_tokens=False)["input_ids"]
                    ctx_tokens = [self.prefix_id]
                    cont_tokens = whole if whole[:1] != [self.prefix_id] else whole[1:]
                else:
                    ctx_tokens = encoded[ctx]
                    cont_tokens = encoded[ctx + cont][len(ctx_tokens):]
                if not cont_tokens:
                    raise InputError(f"the continuation {cont!r} encodes to no tokens after its context")
                context_tokens = ctx_tokens
                continuations.append(cont_tokens)
            out.append((context_tokens, continuations))
        return out

    def _rows(self, index: int, context: list[int], continuations: list[list[int]]) -> list[_Row]:
        if all(len(cont) == 1 for cont in continuations):
            return [_Row(index, tuple(range(len(continuations))), list(context), len(context) - 1, 1)]
        return [_Row(index, (j,), (context + cont)[:-1], len(context) - 1, len(cont)) for j, cont in enumerate(continuations)]

    def _chunks(self, rows_by_group: dict[str, list[_Row]]) -> list[_Chunk]:
        chunks = []
        for rows in rows_by_group.values():
            rows.sort(key=lambda row: -len(row.tokens))
            for start in range(0, len(rows), self.batch_size):
                part = rows[start:start + self.batch_size]
                chunks.append(_Chunk(part, self._prefix_length(part) if self.shared_prefix else 0))
        chunks.sort(key=lambda chunk: (-chunk.prefix, -max(len(row.tokens) for row in chunk.rows)))
        return chunks

    @staticmethod
    def _prefix_length(rows: list[_Row]) -> int:
        if len(rows) < 2:
            return 0
        first, limit = rows[0].tokens, min(row.start for row in rows)
        length = 0
        while length < limit and all(len(row.tokens) > length and row.tokens[length] == first[length] for row in rows):
            length += 1
        return length if length >= MIN_SHARED_PREFIX else 0

    def _batches(self, chunks: list[_Chunk]) -> list[list[_Chunk]]:
        """Chunks packed up to ``batch_size`` rows; a batch shares the shortest prefix among its chunks
        (chunks come longest prefix first, so little sharing is lost), and chunks without one stay apart."""
        batches: list[list[_Chunk]] = []
        for chunk in chunks:
            last = batches[-1] if batches else None
            if (last and (last[0].prefix > 0) == (chunk.prefix > 0)
                    and sum(len(c.rows) for c in last) + len(chunk.rows) <= self.batch_size):
                last.append(chunk)
            else:
                batches.append([chunk])
        return batches

    def _right_padded(self, sequences: list[list[int]]):
        """Token ids padded at the end: a causal model's real positions never see the padding,
        so no attention mask is needed (as lm-evaluation-harness does it)."""
        torch = self.torch
        ids = torch.full((len(sequences), max(len(seq) for seq in sequences)), self.pad_id, dtype=torch.long)
        for i, seq in enumerate(sequences):
            ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        return ids.to(self.device)

    def _prefix_cache(self, chunks: list[_Chunk], prefix: int):
        """Run each chunk's first ``prefix`` tokens once; return the key-value cache repeated for its rows."""
        from transformers import DynamicCache

        torch = self.torch
        ids = self._right_padded([chunk.rows[0].tokens[:prefix] for chunk in chunks])  # all of length prefix
        out = self.model(input_ids=ids, use_cache=True, **({"logits_to_keep": 1} if self.keeps_logits else {}))
        self.forward_passes += 1
        owner = torch.tensor([c for c, chunk in enumerate(chunks) for _ in chunk.rows], device=self.device)
        layers = [(layer.keys[owner], layer.values[owner]) for layer in getattr(out, self.cache_name).layers]
        return DynamicCache(ddp_cache_data=layers, config=self.model.config)

    def _logprobs(self, chunks: list[_Chunk]):
        """Log-softmax at each row's read positions: a list of (reads x vocab) tensors."""
        torch = self.torch
        rows = [row for chunk in chunks for row in chunk.rows]
        prefix = min(chunk.prefix for chunk in chunks)
        ids = self._right_padded([row.tokens[prefix:] for row in rows])
        width = max(row.reads for row in rows)
        keep = torch.tensor([[row.start - prefix + min(i, row.reads - 1) for i in range(width)] for row in rows], device=self.device)
        kwargs = {"logits_to_keep": keep} if self.keeps_logits else {}
        if prefix:
            kwargs[self.cache_name] = self._prefix_cache(chunks, prefix)
            kwargs["position_ids"] = (prefix + torch.arange(ids.shape[1], device=self.device))[None, :]
        out = self.model(input_ids=ids, use_cache=bool(prefix), **kwargs)
        self.forward_passes += 1
        logits = out.logits if self.keeps_logits else out.logits.gather(1, keep[:, :, None].expand(-1, -1, out.logits.shape[-1]))
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        return [logprobs[i, : row.reads] for i, row in enumerate(rows)]

    def score(self, requests: Sequence[Request], top_k: int = DEFAULT_TOP_K) -> list[Scores | None]:
        encoded = self.encode_pairs(requests)
        rows_by_group: dict[str, list[_Row]] = {}
        results: list[Scores | None] = [None] * len(requests)
        for index, (request, (context, continuations)) in enumerate(zip(requests, encoded)):
            if len(context) + max(len(cont) for cont in continuations) - 1 > self.max_length:
                continue  # longer than the model's context: skipped, counted by the caller
            rows_by_group.setdefault(request.group or f"#{index}", []).extend(self._rows(index, context, continuations))
        sums: dict[int, dict[int, float]] = {}
        matches: dict[int, bool] = {}
        with self.torch.inference_mode():
            for batch in self._batches(self._chunks(rows_by_group)):
                rows = [row for chunk in batch for row in chunk.rows]
                for row, logprobs in zip(rows, self._logprobs(batch)):
                    continuations = encoded[row.request][1]
                    for j in row.continuations:
                        targets = self.torch.tensor(continuations[j], device=logprobs.device)
                        sums.setdefault(row.request, {})[j] = float(logprobs[: len(targets)].gather(1, targets[:, None]).sum())
                    if row.request not in matches:
                        top = set(logprobs[0].topk(min(top_k, logprobs.shape[-1])).indices.tolist())
                        matches[row.request] = any(cont[0] in top for cont in continuations)
        for index, values in sums.items():
            continuations = encoded[index][1]
            results[index] = Scores(tuple(values[j] for j in range(len(continuations))),
                                    tuple(len(cont) for cont in continuations), matches[index])
        return results
