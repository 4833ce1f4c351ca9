"""Cancel a run's open batches (a mistaken or too large run), keeping everything already answered.

The run's backend and store come from its run record; every batch the ledger holds open is
found (if it was never recorded as submitted), cancelled, polled until it ends, and its
finished answers are collected into the cache, so what was paid for is not lost. A later
rerun of the same command sends only what never got an answer.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from alignment_data.errors import ConfigError, InputError
from alignment_data.synthesis.backends.base import make_backend
from alignment_data.synthesis.batches import BatchRunner
from alignment_data.synthesis.engine import run_async
from alignment_data.synthesis.options import RequestOptions
from alignment_data.synthesis.progress import RequestProgress
from alignment_data.synthesis.runs import STORE_NAME, Run


def cancel_batches(output: str | Path, run_file: str | Path | None = None, quiet: bool = False) -> dict:
    """Cancel the open batches of the run in ``output`` (its ``run.json``, or ``run_file``); what was done."""
    folder = Path(output)
    run_file = Path(run_file) if run_file else folder / "run.json"
    try:
        record = json.loads(run_file.read_text("utf-8"))
        settings = record["history"][-1]["settings"]
    except (OSError, json.JSONDecodeError, KeyError, IndexError):
        raise InputError("no run record here: give the output folder of a synthesize run", str(run_file)) from None
    names = {item.name for item in dataclasses.fields(RequestOptions)}
    options = RequestOptions(**{key: value for key, value in settings.items() if key in names}, quiet=quiet)
    backend = make_backend(options.backend, options.backend_settings())
    if backend.batch_api() is None:
        raise ConfigError(f"the {backend.name} backend has no batches to cancel")
    store = Path(options.cache) if options.cache else run_file.parent / STORE_NAME
    engine = options.engine(backend, Run(record["run_tag"], folder, store), lambda line: None, "cancel")
    engine.settings = dataclasses.replace(engine.settings, batch=True)

    async def cancel() -> int:
        try:
            return await BatchRunner(engine, RequestProgress(0, "collecting", quiet)).cancel()
        finally:
            await backend.aclose()

    cancelled = run_async(cancel())
    return {"run_tag": record["run_tag"], "cancelled_batches": cancelled, "answers_collected": engine.stats.answered,
            "spent_usd": round(engine.stats.spent_usd, 6)}
