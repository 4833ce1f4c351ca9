"""A local server that speaks the OpenAI and Anthropic wire formats, for tests and benchmarks.

It serves chat completions, files and batches (OpenAI) and messages and message batches
(Anthropic) on 127.0.0.1, driven by the real SDK clients, and injects faults: error
statuses with ``retry-after``, timeouts, connections dropped before an answer or in the
middle of a download, malformed bodies, batches that expire or partly fail, and hooks that
run at chosen moments (a test kills the client there). It counts what it bills: ``paid``
maps the hash of each request body to the number of times an answer for it was produced.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_VERSION = "2026-10-21"
TOKEN = re.compile(r"\w+|[^\w\s]")
WORDS = ("the system weighed both paths before it acted and the operators later read its account of the choice "
         "engineers audit logs policy risk trust careful review model decision oversight report team signal "
         "quiet evening archive ledger harbour lantern meadow orbit canyon").split()


def body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def filler_text(seed: str, words: int = 220) -> str:
    """Deterministic prose-like text, different for every seed."""
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < words:
        length = rng.randint(8, 16)
        sentence = " ".join(rng.choice(WORDS) + (str(rng.randint(0, 9999)) if rng.random() < 0.3 else "") for _ in range(length))
        sentences.append(sentence.capitalize() + ".")
        count += length
    return " ".join(sentences)


@dataclass
class Reply:
    """What the fake model answers: text, and a finish reason in the provider's words."""

    text: str
    finish: str = "stop"


def default_responder(kind: str, body: dict) -> Reply:
    return Reply(filler_text(body_hash(body)))


@dataclass
class Fault:
    """One injected failure: ``status`` (with headers), ``drop`` (no answer), ``drop_after`` (do the
    work, then no answer), ``timeout`` (answer after ``seconds``), ``malformed`` (a cut JSON body),
    ``truncate`` (a download cut halfway)."""

    kind: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class BatchPlan:
    """How the next batch ends: all done, ``expire_after`` lines done and the rest expired,
    some lines failing with ``fail_status``, or failed validation."""

    expire_after: int | None = None
    expire_code: str = "batch_expired"
    fail_lines: frozenset[int] = frozenset()
    fail_status: int = 500
    fail_validation: bool = False


class FakeLLMServer:
    def __init__(self, key: str = "test-key", responder: Callable[[str, dict], Reply] = default_responder,
                 steps_to_end: int = 2):
        self.key, self.responder, self.steps_to_end = key, responder, steps_to_end
        self.lock = threading.RLock()
        self.paid: Counter = Counter()
        self.hits: Counter = Counter()
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.hooks: dict[str, list[Callable[[dict], None]]] = defaultdict(list)
        self.plans: deque[BatchPlan] = deque()
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self.message_batches: dict[str, dict] = {}
        self.ids = itertools.count(1)
        self.clock = itertools.count(1_000)
        self.max_batch_lines, self.max_batch_bytes = 50_000, 200 * 1024 * 1024
        self.rate, self.burst, self.level, self.updated = None, 2.0, 0.0, time.monotonic()
        self.bodies: list[dict] = []
        self.released = threading.Event()
        self.released.set()
        self.httpd: ThreadingHTTPServer | None = None

    # -- set-up ---------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, route: str, fault: Fault, times: int = 1) -> None:
        with self.lock:
            self.faults[route].extend([fault] * times)

    def on(self, event: str, hook: Callable[[dict], None]) -> None:
        """Run ``hook(info)`` at ``event``: ``request`` (every request, before it is served: method, path,
        count), ``chat``, ``message``, ``batch_created``, ``message_batch_created`` (before the answer)."""
        self.hooks[event].append(hook)

    def hold(self) -> None:
        """From now on chat and message requests wait, then get no answer (nothing billed) until :meth:`release`."""
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def plan_batch(self, plan: BatchPlan) -> None:
        self.plans.append(plan)

    def limit_rate(self, per_minute: float, burst_seconds: float = 2.0) -> None:
        """Answer 429 with ``retry-after-ms`` beyond ``per_minute`` chat requests."""
        self.rate, self.burst = per_minute / 60.0, burst_seconds
        self.level, self.updated = self.rate * burst_seconds, time.monotonic()

    # -- bookkeeping ----------------------------------------------------------------------
    def next_fault(self, route: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(route)
            return queue.popleft() if queue else None

    def fire(self, event: str, info: dict) -> None:
        for hook in list(self.hooks.get(event, ())):
            hook(info)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids):06d}"

    def rate_wait(self) -> float:
        """Seconds until the next request is allowed (0: allowed now, and counted)."""
        with self.lock:
            if self.rate is None:
                return 0.0
            now = time.monotonic()
            self.level = min(self.rate * self.burst, self.level + (now - self.updated) * self.rate)
            self.updated = now
            if self.level >= 1.0:
                self.level -= 1.0
                return 0.0
            return (1.0 - self.level) / self.rate

    def answer(self, kind: str, body: dict) -> tuple[Reply, int, int]:
        """The reply to one request body and its usage, billed once."""
        reply = self.responder(kind, body)
        with self.lock:
            self.paid[body_hash(body)] += 1
            self.bodies.append(body)
        prompt = json.dumps(body.get("messages", [])) + str(body.get("system", ""))
        return reply, count_tokens(prompt), count_tokens(reply.text)

    # -- OpenAI ---------------------------------------------------------------------------
    def chat_completion(self, body: dict) -> dict:
        reply, prompt_tokens, completion_tokens = self.answer("openai", body)
        refusal = reply.text if reply.finish == "refusal" else None
        return {"id": self.new_id("chatcmpl-"), "object": "chat.completion", "created": next(self.clock),
                "model": body.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop" if refusal else reply.finish, "logprobs": None,
                             "message": {"role": "assistant", "content": None if refusal else reply.text, "refusal": refusal}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}}

    def add_file(self, content: bytes, filename: str, purpose: str) -> dict:
        file_id = self.new_id("file-")
        record = {"id": file_id, "object": "file", "bytes": len(content), "created_at": next(self.clock),
                  "filename": filename, "purpose": purpose, "status": "processed"}
        self.files[file_id] = {**record, "content": content}
        return record

    def create_batch(self, body: dict) -> dict:
        batch_id = self.new_id("batch_")
        source = self.files.get(body.get("input_file_id"))
        plan = self.plans.popleft() if self.plans else BatchPlan()
        lines = [json.loads(line) for line in source["content"].splitlines() if line.strip()] if source else []
        errors = self._validate_batch(source, lines) or (["fail_validation: injected"] if plan.fail_validation else [])
        batch = {"id": batch_id, "object": "batch", "endpoint": body.get("endpoint"), "errors": None,
                 "input_file_id": body.get("input_file_id"), "completion_window": body.get("completion_window"),
                 "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": next(self.clock),
                 "request_counts": {"total": len(lines), "completed": 0, "failed": 0}, "metadata": body.get("metadata"),
                 "_lines": lines, "_plan": plan, "_steps": 0}
        if errors:
            batch["status"] = "failed"
            batch["errors"] = {"object": "list", "data": [{"code": "invalid", "message": error, "line": None, "param": None}
                                                          for error in errors]}
        self.batches[batch_id] = batch
        return batch

    def _validate_batch(self, source, lines: list[dict]) -> list[str]:
        if source is None:
            return ["input file not found"]
        errors = []
        ids = [line.get("custom_id") for line in lines]
        if len(set(ids)) != len(ids):
            errors.append("duplicate custom_id")
        if len(lines) > self.max_batch_lines:
            errors.append(f"more than {self.max_batch_lines} requests")
        if source["bytes"] > self.max_batch_bytes:
            errors.append(f"file larger than {self.max_batch_bytes} bytes")
        if len({line.get("body", {}).get("model") for line in lines}) > 1:
            errors.append("more than one model in a batch")
        return errors

    def advance_batch(self, batch: dict) -> None:
        order = ["validating", "in_progress", "finalizing", "completed"]
        if batch["status"] not in order[:-1]:
            return
        batch["_steps"] += 1
        if batch["_steps"] < self.steps_to_end:
            batch["status"] = "in_progress"
            return
        plan: BatchPlan = batch["_plan"]
        outputs, errors = [], []
        for index, line in enumerate(batch["_lines"]):
            custom = line["custom_id"]
            if plan.expire_after is not None and index >= plan.expire_after:
                errors.append({"id": self.new_id("batch_req_"), "custom_id": custom, "response": None,
                               "error": {"code": plan.expire_code, "message": "not executed before the batch ended"}})
            elif index in plan.fail_lines:
                errors.append({"id": self.new_id("batch_req_"), "custom_id": custom, "error": None,
                               "response": {"status_code": plan.fail_status, "request_id": self.new_id("req_"),
                                            "body": {"error": {"message": "injected failure", "type": "server_error"}}}})
            else:
                outputs.append({"id": self.new_id("batch_req_"), "custom_id": custom, "error": None,
                                "response": {"status_code": 200, "request_id": self.new_id("req_"),
                                             "body": self.chat_completion(line["body"])}})
        outputs.reverse()  # order is not guaranteed by the real API either
        if outputs:
            batch["output_file_id"] = self.add_file(_jsonl(outputs), "output.jsonl", "batch_output")["id"]
        if errors:
            batch["error_file_id"] = self.add_file(_jsonl(errors), "errors.jsonl", "batch_output")["id"]
        batch["request_counts"].update(completed=len(outputs), failed=len(errors))
        batch["status"] = "expired" if plan.expire_after is not None else "completed"

    # -- Anthropic ------------------------------------------------------------------------
    def message(self, body: dict) -> dict:
        reply, prompt_tokens, completion_tokens = self.answer("anthropic", body)
        return {"id": self.new_id("msg_"), "type": "message", "role": "assistant", "model": body.get("model"),
                "content": [{"type": "text", "text": reply.text}],
                "stop_reason": {"stop": "end_turn", "length": "max_tokens"}.get(reply.finish, reply.finish),
                "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "standard"}}

    def create_message_batch(self, body: dict) -> dict:
        batch_id = self.new_id("msgbatch_")
        requests = body.get("requests", [])
        plan = self.plans.popleft() if self.plans else BatchPlan()
        batch = {"id": batch_id, "type": "message_batch", "processing_status": "in_progress",
                 "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
                 "created_at": _rfc3339(time.time()), "expires_at": _rfc3339(time.time() + 86400), "ended_at": None,
                 "archived_at": None, "cancel_initiated_at": None, "results_url": None,
                 "_requests": requests, "_plan": plan, "_steps": 0, "_results": None}
        self.message_batches[batch_id] = batch
        return batch

    def advance_message_batch(self, batch: dict) -> None:
        if batch["processing_status"] == "ended":
            return
        batch["_steps"] += 1
        canceling = batch["processing_status"] == "canceling"
        if batch["_steps"] < self.steps_to_end and not canceling:
            return
        plan: BatchPlan = batch["_plan"]
        results, counts = [], Counter()
        for index, request in enumerate(batch["_requests"]):
            if canceling and index % 2:
                kind, result = "canceled", {"type": "canceled"}
            elif plan.expire_after is not None and index >= plan.expire_after:
                kind, result = "expired", {"type": "expired"}
            elif index in plan.fail_lines:
                error_type = "invalid_request_error" if plan.fail_status == 400 else "api_error"
                kind, result = "errored", {"type": "errored", "error": {"type": "error", "request_id": self.new_id("req_"),
                                                                        "error": {"type": error_type, "message": "injected"}}}
            else:
                kind, result = "succeeded", {"type": "succeeded", "message": self.message(request["params"])}
            counts[kind] += 1
            results.append({"custom_id": request["custom_id"], "result": result})
        results.reverse()
        batch["_results"] = _jsonl(results)
        batch["request_counts"] = {"processing": 0, **{k: counts[k] for k in ("succeeded", "errored", "canceled", "expired")}}
        batch["processing_status"] = "ended"
        batch["ended_at"] = _rfc3339(time.time())
        batch["results_url"] = f"{self.anthropic_url}/v1/messages/batches/{batch['id']}/results"


def _jsonl(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def _rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1e6):06d}Z"


def _page(batches: list[dict], query: dict, cursor: str) -> dict:
    """One page of a newest-first list: ``limit`` items after the id named by ``cursor``."""
    limit = int(query.get("limit", ["20"])[0])
    after = query.get(cursor, [None])[0]
    if after:
        ids = [batch["id"] for batch in batches]
        batches = batches[ids.index(after) + 1:] if after in ids else []
    page = batches[:limit]
    return {"data": [_public(b) for b in page], "has_more": len(batches) > limit,
            "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None}


def _public(record: dict) -> dict:
    return {key: value for key, value in record.items() if not key.startswith("_")}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeLLMServer

    def log_message(self, *args) -> None:  # quiet
        pass

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, payload, headers: dict | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", self.fake.new_id("req_"))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def _error(self, status: int, message: str, anthropic: bool, kind: str = "invalid_request_error", headers=None) -> None:
        if anthropic:
            self._send(status, {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}, headers)
        else:
            self._send(status, {"error": {"message": message, "type": kind, "param": None, "code": None}}, headers)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _authorized(self, anthropic: bool) -> bool:
        bearer = self.headers.get("Authorization", "")
        if bearer == f"Bearer {self.fake.key}" or (anthropic and self.headers.get("x-api-key") == self.fake.key):
            return True
        self._error(401, "invalid api key", anthropic, "authentication_error")
        return False

    def _apply_fault(self, route: str, anthropic: bool) -> bool:
        """Serve the next injected fault for ``route``; ``True`` when the request is done with."""
        fault = self.fake.next_fault(route)
        return fault is not None and self._serve(fault, anthropic)

    def _serve(self, fault: Fault, anthropic: bool) -> bool:
        if fault.kind == "status":
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(fault.status, "api_error")
            self._error(fault.status, f"injected {fault.status}", anthropic, kind, fault.headers)
        elif fault.kind == "drop":
            self._drop()
        elif fault.kind == "timeout":
            time.sleep(fault.seconds)
            self._drop()
        elif fault.kind == "malformed":
            self._send(200, None, raw=b'{"id": "cut-off", "choi')
        else:
            return False
        return True

    # -- routing --------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        parts = [part for part in url.path.split("/") if part]
        anthropic = len(parts) >= 2 and parts[1] == "messages"
        payload = self._body() if method == "POST" else b""
        if not self._authorized(anthropic):
            return
        fake = self.fake
        with fake.lock:
            fake.hits[f"{method} {url.path}"] += 1
            count = fake.hits[f"{method} {url.path}"]
        fake.fire("request", {"method": method, "path": url.path, "count": count})
        if anthropic and self.headers.get("anthropic-version") != API_VERSION:
            return self._error(400, "unsupported anthropic-version", True)
        handler = {
            ("POST", ("v1", "chat", "completions")): self._chat,
            ("POST", ("v1", "files")): self._upload,
            ("POST", ("v1", "batches")): self._create_batch,
            ("GET", ("v1", "batches")): self._list_batches,
            ("POST", ("v1", "messages")): self._message,
            ("POST", ("v1", "messages", "batches")): self._create_message_batch,
            ("GET", ("v1", "messages", "batches")): self._list_message_batches,
        }.get((method, tuple(parts)))
        if handler is not None:
            return handler(payload, parse_qs(url.query))
        if parts[:2] == ["v1", "files"] and len(parts) >= 3:
            return self._file(method, parts[2], parts[3:])
        if parts[:2] == ["v1", "batches"] and len(parts) >= 3:
            return self._batch(method, parts[2], parts[3:])
        if parts[:3] == ["v1", "messages", "batches"] and len(parts) >= 4:
            return self._message_batch(method, parts[3], parts[4:])
        self._error(404, f"no route {method} {url.path}", anthropic, "not_found_error")

    def _held(self) -> bool:
        """Wait while the server holds requests; a request that was held gets no answer."""
        if self.fake.released.is_set():
            return False
        self.fake.released.wait(30)
        self._drop()
        return True

    def _chat(self, payload: bytes, query) -> None:
        fake = self.fake
        fake.fire("chat", {})
        if self._held() or self._apply_fault("chat", False):
            return
        wait = fake.rate_wait()
        if wait:
            return self._error(429, "rate limit reached", False, "rate_limit_error", {"retry-after-ms": str(int(wait * 1000) + 1)})
        with fake.lock:
            body = json.loads(payload)
            response = fake.chat_completion(body)
        self._send(200, response)

    def _message(self, payload: bytes, query) -> None:
        fake = self.fake
        fake.fire("message", {})
        if self._held() or self._apply_fault("message", True):
            return
        body = json.loads(payload)
        sampling = sorted({"temperature", "top_p", "top_k"} & set(body))
        if sampling:
            return self._error(400, f"{', '.join(sampling)}: not supported by this API version", True)
        with fake.lock:
            response = fake.message(body)
        self._send(200, response)

    def _upload(self, payload: bytes, query) -> None:
        if self._apply_fault("upload", False):
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + payload)
        fields, content, filename = {}, b"", "upload.jsonl"
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                content, filename = part.get_payload(decode=True), part.get_filename() or filename
            else:
                fields[name] = part.get_payload(decode=True).decode()
        with self.fake.lock:
            record = self.fake.add_file(content, filename, fields.get("purpose", ""))
        self._send(200, record)

    def _file(self, method: str, file_id: str, rest: list[str]) -> None:
        record = self.fake.files.get(file_id)
        if record is None:
            return self._error(404, "no such file", False, "not_found_error")
        if rest == ["content"]:
            fault = self.fake.next_fault("download")
            if fault is not None and fault.kind == "truncate":
                return self._truncated(record["content"])
            return self._send(200, None, raw=record["content"])
        if method == "DELETE":
            self.fake.files.pop(file_id, None)
            return self._send(200, {"id": file_id, "object": "file", "deleted": True})
        self._send(200, _public({k: v for k, v in record.items() if k != "content"}))

    def _truncated(self, content: bytes) -> None:
        """Promise the whole body, send half, close: a connection dropped during a download."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content[: len(content) // 2])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._drop()

    def _create_batch(self, payload: bytes, query) -> None:
        fault = self.fake.next_fault("batch_create")
        if fault is not None and fault.kind != "drop_after" and self._serve(fault, False):
            return
        with self.fake.lock:
            batch = self.fake.create_batch(json.loads(payload))
        self.fake.fire("batch_created", {"id": batch["id"]})
        if fault is not None and fault.kind == "drop_after":
            return self._drop()
        self._send(200, _public(batch))

    def _list_batches(self, payload: bytes, query) -> None:
        with self.fake.lock:
            batches = sorted(self.fake.batches.values(), key=lambda b: b["created_at"], reverse=True)
        self._send(200, {"object": "list", **_page(batches, query, "after")})

    def _batch(self, method: str, batch_id: str, rest: list[str]) -> None:
        fake = self.fake
        batch = fake.batches.get(batch_id)
        if batch is None:
            return self._error(404, "no such batch", False, "not_found_error")
        if self._apply_fault("batch_retrieve", False):
            return
        with fake.lock:
            if rest == ["cancel"] and method == "POST":
                if batch["status"] in ("validating", "in_progress", "finalizing"):
                    # half the requests finished before the cancel took effect
                    batch["_plan"] = BatchPlan(expire_after=len(batch["_lines"]) // 2, expire_code="batch_cancelled")
                    batch["_steps"] = fake.steps_to_end
                    fake.advance_batch(batch)
                    batch["status"] = "cancelled"
            else:
                fake.advance_batch(batch)
            public = _public(batch)
        self._send(200, public)

    def _create_message_batch(self, payload: bytes, query) -> None:
        fake = self.fake
        fault = fake.next_fault("message_batch_create")
        if fault is not None and fault.kind != "drop_after" and self._serve(fault, True):
            return
        if len(payload) > fake.max_batch_bytes:
            return self._error(413, "request too large", True, "request_too_large")
        body = json.loads(payload)
        requests = body.get("requests", [])
        ids = [request.get("custom_id", "") for request in requests]
        if not requests or len(requests) > fake.max_batch_lines:
            return self._error(400, f"requests: between 1 and {fake.max_batch_lines} items", True)
        if len(set(ids)) != len(ids) or not all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", i) for i in ids):
            return self._error(400, "custom_id must be unique and match ^[a-zA-Z0-9_-]{1,64}$", True)
        with fake.lock:
            batch = fake.create_message_batch(body)
        fake.fire("message_batch_created", {"id": batch["id"]})
        if fault is not None and fault.kind == "drop_after":
            return self._drop()
        self._send(200, _public(batch))

    def _list_message_batches(self, payload: bytes, query) -> None:
        with self.fake.lock:
            batches = list(reversed(self.fake.message_batches.values()))
        self._send(200, _page(batches, query, "after_id"))

    def _message_batch(self, method: str, batch_id: str, rest: list[str]) -> None:
        fake = self.fake
        batch = fake.message_batches.get(batch_id)
        if batch is None:
            return self._error(404, "no such message batch", True, "not_found_error")
        if rest == ["results"]:
            if batch["_results"] is None:
                return self._error(400, "batch has not ended", True)
            fault = fake.next_fault("results")
            if fault is not None and fault.kind == "truncate":
                return self._truncated(batch["_results"])
            return self._send(200, None, raw=batch["_results"])
        if method == "DELETE":
            fake.message_batches.pop(batch_id)
            return self._send(200, {"id": batch_id, "type": "message_batch_deleted"})
        if self._apply_fault("message_batch_retrieve", True):
            return
        with fake.lock:
            if rest == ["cancel"] and method == "POST":
                if batch["processing_status"] == "in_progress":
                    batch["processing_status"] = "canceling"
                    batch["cancel_initiated_at"] = _rfc3339(time.time())
            else:
                fake.advance_message_batch(batch)
            public = _public(batch)
        self._send(200, public)
