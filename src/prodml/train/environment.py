"""What a run needs recorded to be reproduced: code version, packages, platform."""

from __future__ import annotations

import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["git_state", "package_versions", "platform_info"]

_PACKAGES = (
    "prodml",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "lightgbm",
    "scipy",
    "pydantic",
    "SQLAlchemy",
    "joblib",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a model depends on (a copy: callers may edit it)."""
    return dict(_installed_versions())


@cache
def _installed_versions() -> dict[str, str]:
    """Read once per process (the installed distributions' metadata costs tens of ms to read):
    a process keeps running the modules it imported, whatever is installed after."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def platform_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
    }


def git_state(directory: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the repository holding the project, or (None, None) outside git."""

    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = run("status", "--porcelain", "--untracked-files=no", "--", ".")
    return commit.strip(), bool(status and status.strip())
