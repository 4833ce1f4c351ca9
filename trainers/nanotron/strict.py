"""A strict dataclass loader with dacite's rules, the rules nanotron loads its YAML configs by.

nanotron calls ``dacite.from_dict(Config, data, dacite.Config(cast=[Path], type_hooks=...,
strict=True))``. This module follows the same rules without depending on dacite:

- an unknown key in any mapping fails (``UnexpectedDataError``); a missing key takes the
  field's default, ``None`` when the field is ``Optional`` without one, else fails
  (``MissingValueError``);
- values are type-checked after building (``WrongTypeError``); an int passes as a float;
  ``Literal`` values must be listed;
- a ``Union`` takes its first member that builds without any exception and type-checks,
  else fails (``UnionMatchError``): a member whose own checks fail is skipped silently;
- type hooks convert a value first when the field's type is a hooked type; ``Path`` fields
  are cast with ``Path(value)``;
- ``__post_init__`` runs as the dataclass is built, so its checks fail the load.

Unlike dacite, every failure is a :class:`NanotronConfigError` that names the full path of
the field (``data_stages[0].data.dataset``), the exception nanotron's loader raises there,
and, for a union, why each member was refused.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from alignment_data.errors import ConfigError


class NanotronConfigError(ConfigError):
    """A config nanotron's loader refuses: ``path``, ``reason`` and ``nanotron_error`` (the exception it raises)."""

    def __init__(self, nanotron_error: str, reason: str, path: str = ""):
        self.nanotron_error, self.reason, self.path = nanotron_error, reason, path
        super().__init__(f"{path + ': ' if path else ''}{reason} (nanotron's loader raises {nanotron_error})")

    def at(self, prefix: str) -> NanotronConfigError:
        """The same error located under ``prefix``."""
        if not prefix:
            return self
        return NanotronConfigError(self.nanotron_error, self.reason, f"{prefix}.{self.path}" if self.path else prefix)


def fail(nanotron_error: str, reason: str):
    """Raise the error a ``__post_init__`` check of nanotron raises (``ValueError``, ``AssertionError``...)."""
    raise NanotronConfigError(nanotron_error, reason)


def _is_union(type_: Any) -> bool:
    return typing.get_origin(type_) is typing.Union or isinstance(type_, types.UnionType)


def _is_optional(type_: Any) -> bool:
    return _is_union(type_) and type(None) in typing.get_args(type_)


def _is_collection(type_: Any) -> bool:
    origin = typing.get_origin(type_)
    return origin in (list, tuple, dict)


def _describe(type_: Any) -> str:
    return getattr(type_, "__name__", None) or str(type_).replace("typing.", "")


def is_instance(value: Any, type_: Any) -> bool:
    """dacite's type check: the numeric tower for floats, ``Any``, unions, typed collections, literals."""
    if type_ is Any:
        return True
    if type_ is float and isinstance(value, (int, float)):
        return True
    if _is_union(type_):
        return any(is_instance(value, member) for member in typing.get_args(type_))
    origin = typing.get_origin(type_)
    if origin is typing.Literal:
        return value in typing.get_args(type_)
    if origin in (list, tuple):
        args = typing.get_args(type_)
        if not isinstance(value, origin):
            return False
        return not args or all(is_instance(item, args[0]) for item in value)
    if origin is dict:
        key_type, value_type = typing.get_args(type_) or (Any, Any)
        return isinstance(value, Mapping) and all(is_instance(k, key_type) and is_instance(v, value_type) for k, v in value.items())
    try:
        return isinstance(value, type_)
    except TypeError:
        return False


class StrictLoader:
    """Builds dataclasses from plain data with dacite's strict rules and the given type hooks."""

    def __init__(self, hooks: dict[Any, Callable[[Any], Any]]):
        self.hooks = hooks

    def load(self, cls: type, data: Any, path: str = ""):
        """``cls`` built from ``data``; a failure is a :class:`NanotronConfigError` located at its field."""
        if not isinstance(data, Mapping):
            raise NanotronConfigError("TypeError", f"expected a mapping for {cls.__name__}, got {type(data).__name__}", path)
        hints = typing.get_type_hints(cls)
        fields = [item for item in dataclasses.fields(cls) if item.init]
        unknown = sorted(set(data) - {item.name for item in fields})
        if unknown:
            raise NanotronConfigError("UnexpectedDataError", f"unknown key{'s' if len(unknown) > 1 else ''} "
                                      f"{', '.join(map(repr, unknown))} for {cls.__name__}", path)
        values = {}
        for item in fields:
            where = f"{path}.{item.name}" if path else item.name
            if item.name in data:
                value = self.build(hints[item.name], data[item.name], where)
                if not is_instance(value, hints[item.name]):
                    raise NanotronConfigError("WrongTypeError", f"wrong value type: expected {_describe(hints[item.name])}, "
                                              f"got {value!r}", where)
            elif item.default is not dataclasses.MISSING:
                value = item.default
            elif item.default_factory is not dataclasses.MISSING:
                value = item.default_factory()
            elif _is_optional(hints[item.name]):
                value = None
            else:
                raise NanotronConfigError("MissingValueError", "missing value", where)
            values[item.name] = value
        try:
            return cls(**values)
        except NanotronConfigError as error:
            raise error.at(path) from None

    def build(self, type_: Any, data: Any, path: str):
        """One value of type ``type_``: hooks, ``None`` for optionals, unions, collections, dataclasses, the Path cast."""
        if type_ in self.hooks:
            try:
                data = self.hooks[type_](data)
            except NanotronConfigError as error:
                raise error.at(path) from None
        if _is_optional(type_) and data is None:
            return None
        if _is_union(type_):
            return self._build_union(type_, data, path)
        if _is_collection(type_):
            return self._build_collection(type_, data, path)
        if dataclasses.is_dataclass(type_) and isinstance(data, Mapping):
            data = self.load(type_, data, path)
        if isinstance(type_, type) and issubclass(type_, Path):
            if not isinstance(data, (str, Path)):
                raise NanotronConfigError("TypeError", f"expected a path, got {data!r}", path)
            data = type_(data)
        return data

    def _build_union(self, union: Any, data: Any, path: str):
        members = [member for member in typing.get_args(union) if member is not type(None)]
        if len(members) == 1:  # Optional[X]
            return self.build(members[0], data, path)
        refused = []
        for member in members:
            try:
                value = self.build(member, data, path)
            except NanotronConfigError as error:
                refused.append(f"as {_describe(member)}: {error.reason}{' at ' + error.path if error.path != path else ''}")
                continue
            if is_instance(value, member):
                return value
            refused.append(f"as {_describe(member)}: wrong type")
        raise NanotronConfigError("UnionMatchError", f"matches no member of the union ({'; '.join(refused)})", path)

    def _build_collection(self, type_: Any, data: Any, path: str):
        args = typing.get_args(type_)
        if isinstance(data, Mapping) and typing.get_origin(type_) is dict:
            value_type = args[1] if args else Any
            return {key: self.build(value_type, value, f"{path}.{key}") for key, value in data.items()}
        if isinstance(data, (list, tuple)) and typing.get_origin(type_) in (list, tuple):
            item_type = args[0] if args else Any
            return type(data)(self.build(item_type, item, f"{path}[{position}]") for position, item in enumerate(data))
        return data


def to_plain(value: Any) -> Any:
    """A dataclass tree as YAML-ready data, as nanotron's ``serialize`` writes it.

    Enums become their value when it is a string, else their name; paths become strings; an
    empty dict becomes ``None``; a ``None`` in a field whose type does not allow it is left out,
    so a reload takes the field's default rather than failing its type check.
    """
    if dataclasses.is_dataclass(value):
        hints = typing.get_type_hints(type(value))
        out = {}
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if field_value is None and not _is_optional(hints[item.name]) and hints[item.name] is not Any:
                continue
            out[item.name] = to_plain(field_value)
        return out
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str) else value.name
    if isinstance(value, (Path, str)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()} or None
    return value
