"""Where a run's numbers came from: package versions and the git revision, recorded in its manifest."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages whose code computes a run's numbers."""
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "layertopo",
        "torch",
        "numpy",
        "scipy",
        "scikit-learn",
        "pandas",
        "ripser",
        "giotto-ph",
        "gudhi",
        "persim",
        "joblib",
    ]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str | None:
    """The commit of the layertopo source tree, when it is a git checkout (else None)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
