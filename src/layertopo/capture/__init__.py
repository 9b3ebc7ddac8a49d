"""Record what chosen layers of a model output, with forward hooks and no side effects."""

from layertopo.capture.hooks import capture_activations

__all__ = ["capture_activations"]
