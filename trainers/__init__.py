"""Trainers for alignment-data mixes: nanotron on GPU clusters and a single-process PyTorch reference.

They import the library, never the other way round; run them from the repository root
(``python trainers/nanotron/make_config.py ...``, ``python trainers/reference/train.py ...``).
"""
