"""The reference trainer: ``train(mix_folder, output, TrainOptions(...))`` -> Hugging Face checkpoints and a summary."""

from trainers.reference.trainer import TrainOptions, TrainSummary, train

__all__ = ["TrainOptions", "TrainSummary", "train"]
