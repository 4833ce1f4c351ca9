"""A local stand-in for a vLLM server: ``POST /v1/completions`` with ``echo`` and ``logprobs``, in the real wire format.

It computes the log-probabilities itself with transformers (not with the library's backend),
so the openai backend can be checked against the hf backend on the same tiny model.
``mode`` makes it misbehave: ``no_logprobs`` (logprobs null), ``rate_limit_once`` (one 429
with Retry-After first), and ``max_tokens_in_context`` refuses longer prompts with vLLM's 400.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeVLLM:
    def __init__(self, model_dir, mode: str = "", max_context: int = 10_000):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch, self.mode, self.max_context = torch, mode, max_context
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload, headers = server.handle(self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, path: str, body: dict):
        with self.lock:
            self.requests.append(body)
            if self.mode == "rate_limit_once" and len(self.requests) == 1:
                return 429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"}
        if path != "/v1/completions":
            return 404, {"error": {"message": f"no route {path}"}}, {}
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        choices = []
        for index, prompt in enumerate(prompts):
            encoded = self.tokenizer(prompt, return_offsets_mapping=True)
            if len(encoded["input_ids"]) > self.max_context:
                message = f"This model's maximum context length is {self.max_context} tokens. However, you requested more."
                return 400, {"object": "error", "message": message, "type": "BadRequestError", "code": 400}, {}
            choices.append({"index": index, "text": "", "finish_reason": "length",
                            "logprobs": None if self.mode == "no_logprobs" else self.logprobs(encoded, body["logprobs"], len(prompt))})
        return 200, {"id": "cmpl-1", "object": "text_completion", "model": body["model"], "choices": choices}, {}

    def logprobs(self, encoded, top_k: int, length: int) -> dict:
        torch = self.torch
        ids = encoded["input_ids"]
        with torch.no_grad():
            logprobs = torch.log_softmax(self.model(torch.tensor([ids])).logits[0].float(), dim=-1)
        decode = lambda token: self.tokenizer.decode([token])  # noqa: E731
        tokens = [decode(token) for token in ids]
        values = [None] + [float(logprobs[i - 1, token]) for i, token in enumerate(ids) if i > 0]
        tops = [None] + [{decode(int(t)): float(v) for v, t in zip(*logprobs[i - 1].topk(top_k))} for i in range(1, len(ids))]
        generated = int(logprobs[-1].argmax())
        return {"tokens": [*tokens, decode(generated)], "token_logprobs": [*values, float(logprobs[-1, generated])],
                "top_logprobs": [*tops, {decode(int(t)): float(v) for v, t in zip(*logprobs[-1].topk(top_k))}],
                "text_offset": [start for start, _ in encoded["offset_mapping"]] + [length]}
