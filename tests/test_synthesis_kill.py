"""SIGKILL the generating process at random points, rerun it, and check: nothing lost, no request paid
twice (the fake server counts), and the output byte for byte that of an uninterrupted run."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from alignment_data.synthesis.documents import synthesize
from tests.fake_llm_server import FakeLLMServer
from tests.synthesis_helpers import KEY, api_options, scenarios_file, smart_responder

pytest.importorskip("openai", reason="needs the synthesis extra: pip install 'alignment-data[synthesis]'")
pytest.importorskip("anthropic", reason="needs the synthesis extra: pip install 'alignment-data[synthesis]'")
GRID = "aligned=3,misaligned=2"


class Generator:
    """The `alignment-data synthesize` process, and a way for the fake server to kill it mid-request."""

    def __init__(self, fake, scenarios, output, backend: str, extra: list[str]):
        url = fake.openai_url if backend == "openai" else fake.anthropic_url
        model = "gpt-4o-mini" if backend == "openai" else "claude-haiku-4-5"
        self.argv = [sys.executable, "-m", "alignment_data.cli", "synthesize", "--scenarios", str(scenarios), "--output",
                     str(output), "--backend", backend, "--model", model, "--base-url", url, "--per-scenario", GRID,
                     "--timeout", "10", "--poll-interval", "0.02", "--quiet", *extra]
        self.env = {**os.environ, "OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}
        self.process = None
        self.killed = 0

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.killed += 1

    def run(self) -> int:
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = self.process.communicate(timeout=120)
        assert self.process.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
        return self.process.returncode


def kill_at(fake, generator: Generator, event: str, matches) -> None:
    """Kill the generator, once, when ``event`` arrives with info that ``matches``."""
    fired = threading.Event()

    def hook(info):
        if not fired.is_set() and matches(info):
            fired.set()
            generator.kill()

    fake.on(event, hook)


def reference(tmp_path, scenarios, backend: str, **extra) -> bytes:
    """The documents of an uninterrupted run (against a fresh server giving the same answers)."""
    server = FakeLLMServer(key=KEY, responder=smart_responder).start()
    try:
        synthesize(scenarios, tmp_path / "reference", per_scenario=GRID, **api_options(server, backend, **extra))
    finally:
        server.stop()
    return (tmp_path / "reference" / "documents" / "documents.jsonl").read_bytes()


BATCH_KILL_POINTS = {
    "openai": [("batch_created", lambda info: True),  # between submitting a batch and recording it
               ("request", lambda info: info["method"] == "POST" and info["path"] == "/v1/files" and info["count"] == 2),
               ("request", lambda info: info["path"].startswith("/v1/batches/") and info["count"] == 1),
               ("request", lambda info: info["path"].endswith("/content") and info["count"] == 1)],
    "anthropic": [("message_batch_created", lambda info: True),
                  ("request", lambda info: info["path"].startswith("/v1/messages/batches/msgbatch") and info["count"] == 1),
                  ("request", lambda info: info["path"].endswith("/results") and info["count"] == 1)],
}


@pytest.mark.parametrize("backend,seed", [("openai", 0), ("anthropic", 1)])
def test_batch_runs_killed_anywhere_pay_once_and_finish_as_if_never_killed(fake, keys, tmp_path, backend, seed):
    scenarios = scenarios_file(tmp_path / "s.jsonl", 3)
    expected = reference(tmp_path, scenarios, backend, batch=True, max_batch_requests=4)
    fake.paid.clear()
    rng = random.Random(seed)
    points = rng.sample(BATCH_KILL_POINTS[backend], 2)
    generator = Generator(fake, scenarios, tmp_path / "out", backend, ["--batch", "--max-batch-requests", "4"])
    for event, matches in points:
        kill_at(fake, generator, event, matches)
    runs = [generator.run() for _ in range(len(points) + 1)]
    while runs[-1] != 0:
        runs.append(generator.run())
    assert generator.killed == len(points) and runs.count(-signal.SIGKILL) == len(points)
    assert (tmp_path / "out" / "documents" / "documents.jsonl").read_bytes() == expected
    assert len(fake.paid) == 15 and max(fake.paid.values()) == 1  # 5 documents x 3 scenarios, each paid once


def test_online_runs_killed_at_random_requests_pay_once_and_finish_as_if_never_killed(fake, keys, tmp_path):
    scenarios = scenarios_file(tmp_path / "s.jsonl", 3)
    expected = reference(tmp_path, scenarios, "openai")
    fake.paid.clear()
    generator = Generator(fake, scenarios, tmp_path / "out", "openai", ["--concurrency", "4"])
    store = tmp_path / "out" / "requests.sqlite"

    def kill_when_answers_are_recorded():
        """Hold new requests, wait until every answer sent is in the client's cache, then kill it."""
        deadline = time.time() + 30
        while time.time() < deadline:
            with sqlite3.connect(store) as db:
                if db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == sum(fake.paid.values()):
                    break
            time.sleep(0.01)
        generator.kill()
        generator.process.wait()
        fake.release()

    deciding = threading.Lock()
    for count in random.Random(2).sample(range(2, 6), 2):  # both fit in what is left after the first kill
        def hold_and_kill(info, count=count):
            if info["path"] != "/v1/chat/completions" or info["count"] != count:
                return
            with deciding:
                if generator.killed >= 2 or not fake.released.is_set():  # done, or a kill of this run is under way
                    return
                fake.hold()
            threading.Thread(target=kill_when_answers_are_recorded).start()

        fake.on("request", hold_and_kill)
    runs = []
    while not runs or runs[-1] != 0:
        runs.append(generator.run())
        fake.hits.clear()
    assert runs.count(-signal.SIGKILL) == 2, (runs, generator.killed, sum(fake.paid.values()))
    assert (tmp_path / "out" / "documents" / "documents.jsonl").read_bytes() == expected
    assert len(fake.paid) == 15 and max(fake.paid.values()) == 1


def test_an_online_run_killed_at_a_random_moment_repays_at_most_what_was_in_flight(fake, tmp_path):
    scenarios = scenarios_file(tmp_path / "s.jsonl", 3)
    generator = Generator(fake, scenarios, tmp_path / "out", "openai", ["--concurrency", "2"])
    kill_at(fake, generator, "request", lambda info: info["path"] == "/v1/chat/completions" and info["count"] == 7)
    while generator.run() != 0:
        pass
    # an answer already sent when the process died cannot be recorded: at most the requests in flight are paid again
    assert generator.killed == 1 and len(fake.paid) == 15
    assert sum(fake.paid.values()) - len(fake.paid) <= 2
