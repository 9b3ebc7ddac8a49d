"""Conclusions drawn from the tables: did each model learn, overfit, and how its topology differs."""

from layertopo.analysis.findings import topology_findings
from layertopo.analysis.verdicts import ModelVerdict, run_verdicts, training_verdicts

__all__ = ["ModelVerdict", "run_verdicts", "topology_findings", "training_verdicts"]
