"""Fully connected networks whose every layer has its own named activation module."""

from layertopo.models.mlp import MLP, build_mlp, layer_names

__all__ = ["MLP", "build_mlp", "layer_names"]
