"""Options dataclasses that are also command-line flags: each default lives in one place.

A field made with :func:`option` carries its help text (and choices); :func:`add_arguments`
turns the fields of one or more dataclasses into argparse flags whose help shows the
dataclass default, and :func:`given` returns only the values the user typed, so the
dataclass default applies to everything else. :func:`parse_value` types ``KEY=VALUE``
strings (bool, int, float, null, str).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import types
import typing
from typing import Any

from alignment_data.errors import ConfigError

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def option(default: Any = None, help: str = "", choices: tuple | None = None, metavar: str | None = None,
           cli: bool = True, flag: str | None = None) -> Any:
    """A dataclass field with its command-line help (``cli=False`` keeps it off the command line;
    ``flag`` names the flag when it differs from the field)."""
    metadata = {"help": help, "choices": choices, "metavar": metavar, "cli": cli, "flag": flag}
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(annotation: Any) -> tuple[type, bool]:
    """``(type, is_sequence)`` of an annotation such as ``float | None`` or ``tuple[str, ...]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _base_type(args[0])
    if origin in (tuple, list):
        return typing.get_args(annotation)[0], True
    return annotation, False


def cli_fields(cls: type) -> list[tuple[dataclasses.Field, type, bool]]:
    hints = typing.get_type_hints(cls)
    out = []
    for item in dataclasses.fields(cls):
        if item.metadata.get("cli", False):
            kind, sequence = _base_type(hints[item.name])
            out.append((item, kind, sequence))
    return out


def _default_text(item: dataclasses.Field) -> str:
    default = item.default if item.default is not dataclasses.MISSING else None
    if default in (None, (), [], False):
        return ""
    return f" (default: {','.join(map(str, default)) if isinstance(default, (tuple, list)) else default})"


def add_arguments(parser: argparse.ArgumentParser, *classes: type, skip: tuple[str, ...] = ()) -> None:
    """Add a flag per command-line field of ``classes``; a field shared by several is added once.

    Argparse defaults stay ``None`` so :func:`given` can tell typed values from defaults.
    """
    seen: dict[str, str] = {}
    for cls in classes:
        for item, kind, sequence in cli_fields(cls):
            if item.name in skip:
                continue
            help_text = item.metadata["help"] + _default_text(item)
            if item.name in seen:
                if seen[item.name] != help_text:
                    raise ConfigError(f"option {item.name!r} is defined differently by two option classes")
                continue
            seen[item.name] = help_text
            kwargs: dict[str, Any] = {"help": help_text, "default": None, "dest": item.name}
            if kind is bool:
                kwargs["action"] = argparse.BooleanOptionalAction
            else:
                kwargs["type"] = kind
                if item.metadata.get("choices") and not sequence:
                    kwargs["choices"] = item.metadata["choices"]
                if item.metadata.get("metavar"):
                    kwargs["metavar"] = item.metadata["metavar"]
                if sequence:
                    kwargs["action"] = "append"
                    kwargs["help"] += " (repeatable)"
            parser.add_argument(flag_name(item.metadata.get("flag") or item.name), **kwargs)


def given(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The values of ``cls``'s command-line fields that the user typed."""
    out = {}
    for item, _, sequence in cli_fields(cls):
        value = getattr(args, item.name, None)
        if value is not None:
            if sequence and item.metadata.get("choices"):  # --stages fasttext,embedding or repeated
                value = [part for entry in value for part in entry.split(",") if part]
            out[item.name] = tuple(value) if sequence else value
    return out


def parse_value(text: str) -> Any:
    """``"true"``/``"false"`` -> bool, ``"null"``/``"none"`` -> None, integers, floats, else the string."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if lowered in ("null", "none"):
        return None
    if _INT.fullmatch(text.strip()):
        return int(text)
    if _FLOAT.fullmatch(text.strip()):
        return float(text)
    return text


def parse_key_values(items: list[str], what: str) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` into a typed dictionary; a malformed item is a :class:`ConfigError`."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what}: expected KEY=VALUE, got {item!r}")
        out[key.strip()] = parse_value(value)
    return out


def build(cls: type, values: dict[str, Any], what: str):
    """``cls(**values)``, with an unknown key reported as a :class:`ConfigError` with "did you mean"."""
    from alignment_data.errors import unknown_choice

    names = [item.name for item in dataclasses.fields(cls)]
    for key in values:
        if key not in names:
            raise ConfigError(f"{what}: {unknown_choice('option', key, names)}")
    return cls(**values)
