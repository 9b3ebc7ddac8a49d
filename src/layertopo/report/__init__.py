"""The HTML report, rebuilt from a run folder's stored tables only."""

from layertopo.report.build import build_report

__all__ = ["build_report"]
