"""Token files in released datatrove's format, read as training windows by both trainers.

A token folder holds ``*.ds`` files (uint16 tokens when the vocabulary fits in 65,536 ids,
else uint32), each with ``.ds.index`` (uint64 document ends, counted in tokens) and
``.ds.metadata`` (``<tokenizer>|<token size>``, the token count, the count for people), as
datatrove's ``DocumentTokenizer`` writes them. A training sample is a non-overlapping window
of ``seq_len + 1`` tokens inside one file (the tail of each file is dropped), the same
windows as nanotron's reader and datatrove's ``DatatroveFolderDataset``; an index past the
end loops, as theirs do. Nothing here needs torch, so a config can be built where it is absent.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alignment_data.errors import InputError

TOKEN_DTYPES = {2: np.uint16, 4: np.uint32}


def token_size_for(vocab_size: int) -> int:
    """Bytes per token datatrove uses for a vocabulary: 2 when every id fits in uint16, else 4."""
    return 2 if vocab_size <= np.iinfo(np.uint16).max + 1 else 4


@dataclass(frozen=True)
class TokenFile:
    """One ``.ds`` file checked against its index and metadata."""

    path: Path
    tokenizer_name: str
    token_size: int
    tokens: int

    @classmethod
    def open(cls, path: str | Path) -> TokenFile:
        """Read the metadata and index of ``path`` and check that they describe its tokens."""
        path = Path(path)
        metadata, index = Path(f"{path}.metadata"), Path(f"{path}.index")
        for companion in (metadata, index):
            if not companion.is_file():
                raise InputError(f"token file has no {companion.name} beside it (datatrove writes .ds, .ds.index and .ds.metadata)", file=str(path))
        first_line = metadata.read_text(encoding="utf-8").partition("\n")[0].strip()
        name, sep, size_text = first_line.rpartition("|")
        if not sep or not name or size_text not in ("2", "4"):
            raise InputError(f"first line should be '<tokenizer>|<token size 2 or 4>', got {first_line!r}", file=str(metadata), line=1)
        token_size = int(size_text)
        size = path.stat().st_size
        if size % token_size:
            raise InputError(f"{size} bytes is not a whole number of {token_size}-byte tokens", file=str(path))
        tokens = size // token_size
        ends = np.fromfile(index, dtype=np.uint64)
        if index.stat().st_size % 8 or (len(ends) and int(ends[-1]) != tokens) or (not len(ends) and tokens):
            last = int(ends[-1]) if len(ends) else None
            raise InputError(f"the index ends at token {last} but the file holds {tokens} tokens", file=str(index))
        return cls(path, name, token_size, tokens)

    def windows(self, seq_len: int) -> int:
        """How many non-overlapping windows of ``seq_len + 1`` tokens the file holds."""
        return self.tokens // (seq_len + 1)


def token_files(folder: str | Path) -> list[TokenFile]:
    """The ``*.ds`` files of a flat token folder, sorted by name, each checked; they must agree on the tokenizer."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("token folder not found", file=str(folder))
    files = [TokenFile.open(path) for path in sorted(folder.glob("*.ds"))]
    if not files:
        raise InputError("no *.ds token files in this folder", file=str(folder))
    first = files[0]
    for other in files[1:]:
        if (other.tokenizer_name, other.token_size) != (first.tokenizer_name, first.token_size):
            raise InputError(f"metadata says {other.tokenizer_name}|{other.token_size} but {first.path.name} says "
                             f"{first.tokenizer_name}|{first.token_size}", file=f"{other.path}.metadata", line=1)
    return files


class TokenWindows:
    """Windows of ``seq_len + 1`` tokens over token files, in file order; ``windows[i]`` loops past the end.

    A map-style dataset (``len``, ``[i]`` -> ``{"input_ids": int64 array}``) as nanotron's
    dataloader expects, plus :meth:`batch` for the reference trainer. Files are memory-mapped
    lazily in each process, so the object pickles small for dataloader workers.
    """

    def __init__(self, files: list[TokenFile], seq_len: int, name: str = "tokens"):
        if seq_len < 1:
            raise InputError(f"sequence length must be positive, got {seq_len}", field="seq_len")
        self.files, self.seq_len, self.name = list(files), seq_len, name
        self.offsets = np.cumsum([0] + [file.windows(seq_len) for file in self.files]).tolist()
        if self.offsets[-1] == 0:
            held = sum(file.tokens for file in self.files)
            raise InputError(f"{held} tokens hold no window of {seq_len + 1} tokens (sequence length {seq_len} + 1) in any file",
                             file=str(self.files[0].path.parent) if self.files else name)
        self._maps: list[np.memmap] | None = None

    def __len__(self) -> int:
        return self.offsets[-1]

    def __getstate__(self):
        return {**self.__dict__, "_maps": None}

    def _mapped(self) -> list[np.memmap]:
        if self._maps is None:
            self._maps = [np.memmap(file.path, dtype=TOKEN_DTYPES[file.token_size], mode="r") for file in self.files]
        return self._maps

    def _position(self, index: int) -> tuple[int, int]:
        index %= len(self)
        position = bisect.bisect_right(self.offsets, index) - 1
        return position, index - self.offsets[position]

    def locate(self, index: int) -> tuple[TokenFile, int]:
        """The file and window number within it of window ``index`` (taken modulo the length)."""
        position, number = self._position(index)
        return self.files[position], number

    def window(self, index: int) -> np.ndarray:
        """Window ``index`` as int64 tokens, ``seq_len + 1`` of them."""
        position, number = self._position(index)
        start = number * (self.seq_len + 1)
        return np.asarray(self._mapped()[position][start:start + self.seq_len + 1], dtype=np.int64)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        return {"input_ids": self.window(int(index))}

    def batch(self, start: int, size: int) -> np.ndarray:
        """Windows ``start .. start + size - 1`` stacked: ``[size, seq_len + 1]`` int64."""
        return np.stack([self.window(start + offset) for offset in range(size)])


def write_token_file(path: str | Path, documents: list[list[int]], tokenizer_name: str, token_size: int) -> TokenFile:
    """Write ``documents`` (token lists, each ending with its EOS) as datatrove writes them.

    The same three files, byte for byte, as ``DocumentTokenizer`` with ``shuffle_documents=False``
    gives for these documents (a test checks it); ``path`` names the ``.ds`` file.
    """
    import humanize  # a datatrove dependency: the third metadata line is its rendering of the count

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = TOKEN_DTYPES[token_size]
    flat = np.fromiter((token for document in documents for token in document), dtype=np.int64)
    if len(flat) and (flat.min() < 0 or flat.max() > np.iinfo(dtype).max):
        raise InputError(f"token ids must lie in 0..{np.iinfo(dtype).max} for {token_size}-byte tokens", file=str(path))
    flat.astype(dtype).tofile(path)
    np.cumsum([len(document) for document in documents], dtype=np.uint64).tofile(f"{path}.index")
    count = len(flat)
    Path(f"{path}.metadata").write_text(f"{tokenizer_name}|{token_size}\n{count}\n{humanize.metric(count, unit='T')}", encoding="utf-8")
    return TokenFile(path, tokenizer_name, token_size, count)
