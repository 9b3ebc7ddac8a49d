"""Where a run's numbers came from: package versions and the git revision, recorded in its manifest."""

from __future__ import annotations

import platform
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
    """The commit of the layertopo source tree when it is a git checkout (else None), read from the ``.git``
    files themselves: no ``git`` process is started (``layertopo.parallel`` is the only code that starts one)."""
    for folder in Path(__file__).resolve().parents:
        dot_git = folder / ".git"
        if dot_git.exists():
            return _head_commit(dot_git)
    return None


def _head_commit(dot_git: Path) -> str | None:
    """HEAD's commit of the repository at ``dot_git`` (a folder, or a worktree's ``gitdir:`` file)."""
    try:
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            dot_git = (dot_git.parent / dot_git.read_text().split(":", 1)[1].strip()).resolve()
        head = (dot_git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head or None  # a detached HEAD holds the commit itself
        ref = head[5:]
        common = dot_git / "commondir"
        roots = [dot_git] + ([(dot_git / common.read_text().strip()).resolve()] if common.exists() else [])
        for root in roots:
            if (root / ref).is_file():
                return (root / ref).read_text().strip() or None
            packed = root / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(f" {ref}"):
                        return line.split()[0]
    except (OSError, IndexError):
        return None
    return None
