"""Scoring backends: Hugging Face transformers (``hf``) and OpenAI-compatible completions servers (``openai``)."""

from alignment_data.eval.backends.base import Backend, Request, Scores, backend_class, backend_names, register_backend

__all__ = ["Backend", "Request", "Scores", "backend_class", "backend_names", "register_backend"]
