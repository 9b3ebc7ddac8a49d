"""layertopo: how a neural network transforms its data, layer by layer, measured with persistent homology."""

from layertopo.capture import capture_activations
from layertopo.config import ExperimentConfig, TopologyConfig, load_config
from layertopo.topology import persistence_diagrams

__version__ = "0.1.0"

__all__ = ["ExperimentConfig", "TopologyConfig", "capture_activations", "load_config", "persistence_diagrams"]
