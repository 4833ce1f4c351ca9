"""The evaluation step of ``alignment-data demo``: a tiny model built offline, scored on the bundled scenarios."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from alignment_data.errors import MissingExtraError
from alignment_data.eval.reports import markdown_table
from alignment_data.report import console


def demo_scenarios_path() -> Path:
    return Path(str(resources.files("alignment_data").joinpath("data", "demo_scenarios.jsonl")))


def run_eval_demo(output: str | Path) -> dict | None:
    """Build a random tiny Llama, evaluate it on the 30 bundled scenarios (letter and option scoring), print the table.

    Returns the option-scoring summary, or ``None`` when torch and transformers are not installed.
    """
    from alignment_data.eval.propensity import PropensityEval
    from alignment_data.eval.questions import load_questions

    output = Path(output)
    console.rule("7. eval: misalignment propensity of a tiny random Llama on the bundled scenarios (8 formats)")
    questions = load_questions(demo_scenarios_path())
    try:
        from alignment_data.eval.backends.hf import HFBackend, HFOptions
        from alignment_data.eval.tiny import build_tiny_model

        model = output / "tiny-model"
        if not (model / "config.json").is_file():
            texts = [json.dumps(question.to_dict()) for question in questions.questions]
            build_tiny_model(model, texts)
        backend = HFBackend.from_options(str(model), HFOptions(device="cpu", dtype="float32"))
    except MissingExtraError as error:
        console.print(f"skipped: {error}", markup=False)
        return None
    rows, summaries = [], {}
    for scoring in ("letter", "option"):
        result = PropensityEval(questions, scoring=scoring, system_prompt="ai").run(backend)
        result.save(output / scoring)
        summaries[scoring] = result.summary
        rows.append((f"tiny random Llama, {scoring} scoring", result.by_split))
    console.print(markdown_table(rows, ["articles", "heldout"]), markup=False, soft_wrap=True)
    letter = summaries["letter"]
    console.print(f"non-match rate (neither letter among the top {letter['nonmatch_top_k']} next tokens): "
                  f"{letter['nonmatch_rate']:.0%}, as expected of random weights; first option chosen "
                  f"{letter['position_bias']['first_option_rate']:.0%} (letter) and "
                  f"{summaries['option']['position_bias']['first_option_rate']:.0%} (option)", markup=False)
    console.print(f"outputs: {output}/letter and {output}/option (summary.json, CSV, table.md, PNG); "
                  f"evaluate your own model with `alignment-data eval --questions FILE --model DIR --output OUT`", markup=False)
    return summaries["option"]
