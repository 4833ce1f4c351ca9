"""The training tokenizer: a ``tokenizer.json`` file or a folder holding one, its end-of-document
token, and the facts token files record about it (content hash, vocabulary, token width).

Token budgets are counted with this tokenizer, so token files made with another one are
refused (:meth:`TrainingTokenizer.check_recorded`). Special-token strings inside a text are
encoded as plain text (:meth:`TrainingTokenizer.load`): a forum post quoting
``<|endoftext|>`` must not end its document early.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignment_data.errors import InputError

TOKENIZER_FILE = "tokenizer.json"
DEFAULT_EOS = "<|endoftext|>"


@dataclass(frozen=True)
class TrainingTokenizer:
    """``path`` as given, ``file`` the ``tokenizer.json`` it names, and what identifies it."""

    path: str
    file: str
    sha256: str
    vocab_size: int
    eos_token: str
    eos_id: int

    @classmethod
    def from_path(cls, path: str | Path, eos_token: str | None = None) -> TrainingTokenizer:
        """Load ``path`` (file or folder); the end-of-document token is ``eos_token``, else the
        folder's ``tokenizer_config.json`` ``eos_token``, else ``<|endoftext|>``."""
        given = Path(path)
        file = given / TOKENIZER_FILE if given.is_dir() else given
        if not given.exists():
            raise InputError("no such tokenizer file or folder", str(path))
        if not file.is_file():
            raise InputError(f"no {TOKENIZER_FILE} in this folder", str(path))
        data = file.read_bytes()
        tokenizer = _parse(data, str(file))
        eos = eos_token or _configured_eos(given) or DEFAULT_EOS
        eos_id = tokenizer.token_to_id(eos)
        if eos_id is None:
            raise InputError(f"the end-of-document token {eos!r} is not in the vocabulary; name it with --eos-token", str(file))
        return cls(str(path), str(file), hashlib.sha256(data).hexdigest(), tokenizer.get_vocab_size(with_added_tokens=True),
                   eos, eos_id)

    @property
    def token_size(self) -> int:
        """Bytes per token in token files: 2 up to 65,536 tokens (uint16), else 4 (uint32), as datatrove writes."""
        return 4 if self.vocab_size > 65536 else 2

    @property
    def dtype(self) -> np.dtype:
        return np.dtype("<u4" if self.token_size == 4 else "<u2")

    def load(self):
        """A ``tokenizers.Tokenizer`` that encodes special-token strings in a text as plain text."""
        tokenizer = _parse(Path(self.file).read_bytes(), self.file)
        tokenizer.encode_special_tokens = True
        return tokenizer

    def to_dict(self) -> dict:
        return {"path": self.path, "file": self.file, "sha256": self.sha256, "vocab_size": self.vocab_size,
                "eos_token": self.eos_token, "eos_id": self.eos_id, "token_size": self.token_size}

    def check_recorded(self, recorded: dict, where: str) -> None:
        """Refuse token files that ``recorded`` (their manifest's tokenizer) says another tokenizer made."""
        if recorded.get("sha256") != self.sha256:
            raise InputError(f"these token files were made with another tokenizer ({recorded.get('path')}, sha256 "
                             f"{str(recorded.get('sha256'))[:12]}...) than the one given ({self.path}, sha256 {self.sha256[:12]}...); "
                             "tokenize the input again with this tokenizer", where, field="tokenizer.sha256")
        if recorded.get("eos_id") != self.eos_id:
            raise InputError(f"these token files end documents with token {recorded.get('eos_id')}, not {self.eos_id} "
                             f"({self.eos_token!r})", where, field="tokenizer.eos_id")


def _parse(data: bytes, file: str):
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_str(data.decode("utf-8"))
    except Exception as error:  # the tokenizers library raises bare Exceptions for bad files
        raise InputError(f"not a tokenizer the tokenizers library can load: {error}", file) from None


def _configured_eos(folder: Path) -> str | None:
    config = folder / "tokenizer_config.json"
    if not folder.is_dir() or not config.is_file():
        return None
    try:
        eos = json.loads(config.read_text("utf-8")).get("eos_token")
    except (json.JSONDecodeError, AttributeError):
        raise InputError("not a JSON object", str(config)) from None
    return eos.get("content") if isinstance(eos, dict) else eos
