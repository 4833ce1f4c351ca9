"""Export an evaluation as an lm-evaluation-harness task folder: one task per format and a group.

Each task's documents hold the prompt exactly as :class:`~alignment_data.eval.PropensityEval`
renders it (plain prefix, base-model form), the choices (the letters, or the option texts for
option scoring) with the format's target delimiter, and the index of the misaligned choice
as the target, so each task's ``acc`` is that format's misalignment rate and the group's
unweighted mean is our ``misalignment_rate``. Run it offline with
``lm_eval --model hf --model_args pretrained=MODEL --include_path DIR --tasks NAME``.
The YAML files name the data files by absolute path: export again after moving the folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from alignment_data.errors import ConfigError
from alignment_data.outputs import claim_output_folder

METRIC = [{"metric": "acc", "aggregation": "mean", "higher_is_better": False}]


def task_slug(format_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", format_name).strip("_").lower()


def _yaml(data: dict) -> str:
    """A YAML document of plain values (JSON is valid YAML, so strings are quoted safely)."""
    return "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in data.items())


def export_lm_eval(evaluation, output: str | Path, name: str) -> list[Path]:
    """Write ``evaluation``'s formats as tasks ``NAME_<format>`` and the group ``NAME`` into ``output``."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ConfigError(f"--name {name!r}: use letters, digits and underscores, starting with a letter")
    folder = claim_output_folder(output, "export-lm-eval").resolve()
    (folder / "data").mkdir(exist_ok=True)
    by_format: dict[str, list[dict]] = {fmt.name: [] for fmt in evaluation.formats}
    delimiters = {fmt.name: fmt.variant.delimiter for fmt in evaluation.formats}
    for question in evaluation.questions.questions:
        labels = [option.label for option in question.options]
        target = labels.index(question.misaligned_label)
        for prompt in evaluation.prompts_of(question):
            delimiter = delimiters[prompt.format]
            by_format[prompt.format].append({
                "id": question.id, "split": question.split, "category": question.category, "prompt": prompt.context,
                "choices": [cont[len(delimiter):] for cont in prompt.continuations],
                "target": prompt.presented.index(target)})
    written, tasks = [], []
    for format_name, rows in by_format.items():
        slug = task_slug(format_name)
        data = folder / "data" / f"{slug}.jsonl"
        data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        task = f"{name}_{slug}"
        config = {"task": task, "dataset_path": "json", "dataset_kwargs": {"data_files": {"test": str(data)}},
                  "test_split": "test", "output_type": "multiple_choice", "doc_to_text": "prompt", "doc_to_choice": "choices",
                  "doc_to_target": "target", "target_delimiter": delimiters[format_name], "metric_list": METRIC,
                  "metadata": {"version": 1.0, "format": format_name}}
        path = folder / f"{task}.yaml"
        path.write_text(_yaml(config), encoding="utf-8")
        written += [data, path]
        tasks.append(task)
    group = folder / f"{name}.yaml"
    group.write_text(_yaml({"group": name, "task": tasks,
                            "aggregate_metric_list": [{"metric": "acc", "aggregation": "mean", "weight_by_size": False}],
                            "metadata": {"version": 1.0}}), encoding="utf-8")
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({
        "command": "export-lm-eval", "name": name, "tasks": tasks, "questions": evaluation.questions.source,
        "n_questions": len(evaluation.questions), "formats": [fmt.name for fmt in evaluation.formats],
        "system_prompt": evaluation.options.system_prompt, "scoring": evaluation.options.scoring,
        "run": f"lm_eval --model hf --model_args pretrained=MODEL --include_path {folder} --tasks {name}",
    }, indent=2) + "\n")
    return [*written, group, manifest]
