"""The datatrove side of a mix: tasks that write the planned output files, on any executor.

File ``n`` of the plan is written by task ``n mod tasks``; each file depends on its plan
alone, so the outputs are the same bytes whatever the number of tasks or workers.
"""

from __future__ import annotations

from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from alignment_data.mixing.assembly import write_text_file, write_token_file
from alignment_data.mixing.manifest import ASSEMBLED, finish_manifest
from alignment_data.mixing.shards import read_header
from alignment_data.mixing.store import TokenizedFolder
from alignment_data.pipeline.counts import write_json
from alignment_data.pipeline.recipes import ExecutorConfig, _console
from alignment_data.pipeline.steps import FinishRun


class AssembleShards(PipelineStep):
    """Writes this task's share of a planned mix's files (tokens or text, from ``OUTPUT/plan``)."""

    name = "🧩 Assemble a mix from its plan"
    type = "✂️ - FORMAT"

    def __init__(self, output: str):
        super().__init__()
        self.output = output

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        output = Path(self.output)
        header = read_header(output)
        folders = {0: TokenizedFolder(header["base"])}
        if header["synthetic"]:
            folders[1] = TokenizedFolder(header["synthetic"])
        written = []
        for number, entry in enumerate(header["files"]):
            if number % world_size != rank:
                continue
            with self.track_time(unit="file"):
                if header["format"] == "tokens":
                    facts = write_token_file(output / entry["plan"], folders, output / entry["file"], header["token_size"],
                                             header["tokenizer_label"], header["checksums"])
                else:
                    facts = write_text_file(output / entry["plan"], folders, output / entry["file"], header["format"],
                                            header["checksums"])
            self.stat_update("files")
            self.stat_update("tokens", value=entry["tokens"])
            written.append({"number": number, **facts})
        write_json(str(output / "counts"), f"{rank:05d}.{ASSEMBLED}", {"files": written})


def run_assembly(output: str, executor: ExecutorConfig) -> dict | None:
    """Write the planned files of the mix in ``output`` and its manifest; ``None`` when queued on Slurm."""
    job = executor.build([AssembleShards(output)], f"{output}/logs/assemble")
    if executor.kind == "slurm":
        executor.build([FinishRun(finish_manifest, output)], f"{output}/logs/manifest", tasks=1, depends=job).run()
        return None
    with _console(executor.quiet and executor.kind == "local"):
        job.run()
    return finish_manifest(output)
