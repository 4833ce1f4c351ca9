"""``DiscourseMixer``: build the study's data conditions, and any other, from one tokenization.

    mixer = DiscourseMixer(base="runs/tag-1", synthetic="synthetic.jsonl", tokenizer="tokenizer/",
                           work_dir="mixes/inputs")
    for name in ("unfiltered", "filtered", "misalignment_upsampled", "alignment_upsampled"):
        mixer.build(name, f"mixes/{name}")           # tokenized once, assembled four times
    plan = mixer.plan("alignment_upsampled_late")    # plan.frame(), plan.plot()

The base is a corpus (JSONL/Parquet, local or URL), a ``tag`` run folder (its stored tags
decide what is flagged, no model is loaded) or a tokenized folder; synthetic documents are
records of the schema's synthetic-document shape or a tokenized folder of them. Inputs that
are not tokenized yet are tokenized once into ``work_dir`` and reused by every build.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from alignment_data.errors import ConfigError, InputError
from alignment_data.mixing.conditions import condition as preset
from alignment_data.mixing.manifest import draft, input_facts, write_draft
from alignment_data.mixing.plan import MixPlan, make_plan
from alignment_data.mixing.recipes import MixSettings, Recipe
from alignment_data.mixing.store import MANIFEST, TokenizedFolder
from alignment_data.mixing.tokenizer import TrainingTokenizer
from alignment_data.outputs import claim_output_folder

INPUTS = "inputs"
PLAN = "plan"


class DiscourseMixer:
    """Plans and builds data conditions over one base corpus and one set of synthetic documents.

    ``tokenizer`` is the training tokenizer (a ``tokenizer.json`` or a folder holding one);
    ``tagger`` (a :class:`~alignment_data.tagging.TaggerSpec`) tags a base corpus that has no
    tags when a recipe filters it (default: the cascade); ``executor`` (an
    :class:`~alignment_data.pipeline.ExecutorConfig`) runs the tokenize and assembly tasks.
    """

    def __init__(self, base: str | Path, tokenizer: str | Path | TrainingTokenizer, synthetic: str | Path | None = None,
                 work_dir: str | Path | None = None, tagger=None, executor=None, tokenize_options=None,
                 eos_token: str | None = None):
        self.base_path = str(base)
        self.synthetic_path = str(synthetic) if synthetic is not None else None
        self.tokenizer = tokenizer if isinstance(tokenizer, TrainingTokenizer) else TrainingTokenizer.from_path(tokenizer, eos_token)
        self.work_dir = Path(work_dir) if work_dir is not None else None
        self.tagger = tagger
        self.executor = executor
        self.tokenize_options = tokenize_options
        self._folders: dict[str, TokenizedFolder] = {}

    def _executor(self):
        from alignment_data.pipeline.recipes import ExecutorConfig

        return self.executor or ExecutorConfig(quiet=True)

    def tokenized(self, role: str, needs_tags: bool = False) -> TokenizedFolder:
        """The tokenized ``base`` or ``synthetic`` input, tokenizing it into ``work_dir`` the first time."""
        if role in self._folders:
            return self._folders[role]
        path = self.base_path if role == "base" else self.synthetic_path
        if path is None:
            raise ConfigError("this recipe adds synthetic documents: give synthetic documents (--synthetic)")
        if TokenizedFolder.is_tokenized(path):
            folder = TokenizedFolder(path)
        else:
            folder = self._tokenize(role, path, needs_tags)
        self.tokenizer.check_recorded(folder.manifest["tokenizer"], str(folder.path / MANIFEST))
        if (role == "synthetic") != (folder.kind == "synthetic"):
            raise InputError(f"the {role} input is a tokenized {folder.kind.replace('_', ' ')}", str(folder.path), field="kind")
        self._folders[role] = folder
        return folder

    def _tokenize(self, role: str, path: str, needs_tags: bool) -> TokenizedFolder:
        from alignment_data.pipeline.tokenize import TokenizeOptions, input_checksums, run_tokenize, tag_run_summary
        from alignment_data.tagging.spec import TaggerSpec

        if self.work_dir is None:
            raise ConfigError(f"{path} is not tokenized yet: give work_dir (where inputs are tokenized once), "
                              "or tokenize it first with `alignment-data tokenize`")
        target = self.work_dir / role
        if TokenizedFolder.is_tokenized(target):
            folder = TokenizedFolder(target)
            read_from = f"{path}/tagged" if tag_run_summary(path) else path
            if folder.manifest["input"] != path or folder.manifest["input_files"] != input_checksums(read_from):
                raise InputError(f"holds a tokenization of another input ({folder.manifest['input']}) or of files that "
                                 "changed since; remove it or choose another work_dir", str(target))
            return folder
        spec = None
        if role == "base" and tag_run_summary(path) is None and (self.tagger is not None or needs_tags):
            spec = self.tagger if isinstance(self.tagger, TaggerSpec) else TaggerSpec(self.tagger or "cascade")
        run_tokenize(path, str(target), self.tokenizer, synthetic=role == "synthetic", spec=spec, executor=self._executor(),
                     options=self.tokenize_options or TokenizeOptions())
        return TokenizedFolder(target)

    @staticmethod
    def recipe(condition: str | Recipe = "unfiltered", **changes) -> Recipe:
        """A preset by name (or ``condition`` itself), with ``changes`` (fraction, placement,
        fraction_of, policy, threshold) applied."""
        recipe = preset(condition) if isinstance(condition, str) else condition
        return recipe.with_changes(**changes)

    def plan(self, condition: str | Recipe = "unfiltered", settings: MixSettings | None = None, folder: str | Path | None = None,
             **changes) -> MixPlan:
        """The plan of a condition, computed from the side tables into ``folder`` (a temporary
        folder by default): nothing is tokenized and no token is copied.

        ``plan.frame()`` is one row per stream item; ``plan.plot()`` shows where the
        synthetic tokens fall in the stream.
        """
        recipe = self.recipe(condition, **changes)
        base = self.tokenized("base", needs_tags=recipe.base == "filtered")
        synthetic = self.tokenized("synthetic") if recipe.synthetic is not None else None
        return make_plan(base, synthetic, recipe, settings or MixSettings(), Path(folder) if folder else None,
                         self.tokenizer.path, self.tokenizer.token_size)

    def build(self, condition: str | Recipe, output: str | Path, settings: MixSettings | None = None, **changes) -> dict:
        """Plan ``condition`` and write it to ``output`` (stage folders + ``manifest.json``); return the manifest
        (``None`` while a Slurm run is queued)."""
        from alignment_data.pipeline.assemble import run_assembly

        output = _claim(Path(output))
        start = time.time()
        plan = self.plan(condition, settings, output / PLAN, **changes)
        inputs = {"base": input_facts(self.base_path, self._folders["base"]),
                  "synthetic": input_facts(self.synthetic_path, self._folders.get("synthetic") if plan.recipe.synthetic else None)}
        write_draft(output, draft(plan, plan.recipe.name, inputs, self.tokenizer))
        executor = self._executor()
        manifest = run_assembly(str(output), executor)
        (output / "run.json").write_text(json.dumps({"command": "mix", "executor": executor.kind, "tasks": executor.tasks,
                                                     "workers": executor.workers, "seconds": round(time.time() - start, 3)},
                                                    indent=2) + "\n")
        return manifest

    @classmethod
    def from_manifest(cls, manifest_path: str | Path, work_dir: str | Path | None = None, executor=None,
                      **overrides) -> DiscourseMixer:
        """The mixer a mix's ``manifest.json`` was built with (its inputs and tokenizer);
        ``overrides`` (base, synthetic, tokenizer) replace them."""
        from alignment_data.tagging.spec import TaggerSpec

        try:
            manifest = json.loads(Path(manifest_path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"not a readable manifest: {error}", str(manifest_path)) from None
        if manifest.get("command") != "mix":
            raise InputError("not the manifest.json of a mix", str(manifest_path), field="command")
        base_facts = manifest["inputs"]["base"]
        tagger = base_facts.get("tagger")
        return cls(overrides.get("base") or _input_path(base_facts), overrides.get("tokenizer") or manifest["tokenizer"]["path"],
                   overrides.get("synthetic") or _input_path(manifest["inputs"].get("synthetic")), work_dir=work_dir,
                   executor=executor, tagger=TaggerSpec.from_dict(tagger) if tagger else None,
                   eos_token=manifest["tokenizer"]["eos_token"])

    @classmethod
    def repeat(cls, manifest_path: str | Path, output: str | Path, executor=None, work_dir: str | Path | None = None) -> dict:
        """Build again what a mix's ``manifest.json`` describes (same inputs, tokenizer, recipe and settings)."""
        from alignment_data.mixing.recipes import load_recipe

        recipe, settings = load_recipe(manifest_path)
        mixer = cls.from_manifest(manifest_path, work_dir or Path(output) / INPUTS, executor)
        return mixer.build(recipe, output, settings)


def _input_path(facts: dict | None) -> str | None:
    """The tokenized folder an input was read from when it is still the same, else the path first given."""
    if facts is None:
        return None
    tokenized = Path(facts["tokenized"])
    if (tokenized / MANIFEST).is_file():
        import hashlib

        if hashlib.sha256((tokenized / MANIFEST).read_bytes()).hexdigest() == facts["manifest_sha256"]:
            return str(tokenized)
    return facts["given"]


def _claim(output: Path) -> Path:
    """A new or empty folder for a mix (an ``inputs`` folder of tokenized inputs may already be there)."""
    claim_output_folder(output, "mix")
    present = sorted(entry.name for entry in output.iterdir() if entry.name != INPUTS)
    if present:
        raise InputError(f"output folder is not empty ({', '.join(present[:4])}); choose a new one", str(output))
    (output / "run.json").write_text(json.dumps({"command": "mix"}) + "\n")
    return output
