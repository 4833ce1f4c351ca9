"""Surface forms: the kinds of writing a scenario is rendered in (news article, forum thread, ...).

The defaults (sixteen) are in ``alignment_data/data/surface_forms.txt``; a ``--surface-forms``
file has the same shape, one ``name: description`` a line, and a bare ``name`` takes the
default description of that name. ``--surface-forms`` also takes a comma-separated list of
default names. Unknown names, duplicates and empty files are located errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alignment_data.errors import InputError, unknown_choice

NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class SurfaceForm:
    name: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


def _parse(lines: list[str], file: str, defaults: dict[str, SurfaceForm] | None) -> list[SurfaceForm]:
    forms: list[SurfaceForm] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, description = (part.strip() for part in line.partition(":"))
        if not NAME.fullmatch(name):
            raise InputError(f"a surface form name is lower-case words joined by underscores, got {name!r}", file, number, "name")
        if name in seen:
            raise InputError(f"surface form {name!r} is named twice (first on line {seen[name]})", file, number, "name")
        if not description:
            if defaults is None or name not in defaults:
                known = list(defaults or ())
                raise InputError(f"{unknown_choice('surface form', name, known)}; or describe it as `{name}: description`",
                                 file, number, "name")
            description = defaults[name].description
        seen[name] = number
        forms.append(SurfaceForm(name, description))
    if not forms:
        raise InputError("no surface forms", file)
    return forms


def default_surface_forms() -> list[SurfaceForm]:
    text = resources.files("alignment_data").joinpath("data", "surface_forms.txt").read_text("utf-8")
    return _parse(text.splitlines(), "surface_forms.txt", None)


def load_surface_forms(spec: str | Path | None = None) -> list[SurfaceForm]:
    """The default forms; those of a file; or the defaults named in a comma-separated list."""
    defaults = {form.name: form for form in default_surface_forms()}
    if spec is None:
        return list(defaults.values())
    path = Path(spec)
    if path.is_file():
        try:
            lines = path.read_text("utf-8").splitlines()
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8 text ({error})", str(path)) from None
        return _parse(lines, str(path), defaults)
    if "/" in str(spec) or str(spec).endswith(".txt"):
        raise InputError("no such file", str(spec))
    names = [name.strip() for name in str(spec).split(",") if name.strip()]
    return _parse(names, "--surface-forms", defaults)
