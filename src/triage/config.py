"""Label names, default paths and the random seed; nothing here imports sklearn or pandas.

Paths come from one place. ``TRIAGE_HOME`` overrides the project root, the folder
that holds ``labels/``, ``models/`` and ``seeds/``; tests point it at a temporary
folder so that no test touches the real data. Without it, the default model lives
in the checkout's ``models/`` for an editable install and in the per-user cache
folder otherwise, never in the current folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LABELS: tuple[str, ...] = ("attack", "state_response", "social_context", "boilerplate")
HTML_PAGES = "html"
"""Sub-folder of a labels folder with the labelled HTML pages (``*.html`` with ``data-label``s)."""
"""The four paragraph types, in the order the guide lists them."""

UNCERTAIN = "uncertain"
"""Label given to a paragraph whose best score is below ``--min-score``."""

RANDOM_STATE = 0
MODEL_FILENAME = "triage.joblib"
HOME_ENV = "TRIAGE_HOME"


def checkout_root() -> Path | None:
    """The source checkout this package runs from (an editable install), or ``None``."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "labels").is_dir():
        return checkout
    return None


def project_root() -> Path:
    """Return the folder that holds ``labels/``, ``models/`` and ``seeds/``.

    ``$TRIAGE_HOME`` when set; otherwise the source checkout this package runs
    from (an editable install); otherwise the current directory.
    """
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    return checkout_root() or Path.cwd()


def labels_dir() -> Path:
    return project_root() / "labels"


def seeds_dir() -> Path:
    return project_root() / "seeds"


def user_cache_dir() -> Path:
    """The per-user cache folder for triage, as each system names it.

    ``$XDG_CACHE_HOME/triage`` (``~/.cache/triage`` without it) on Linux and
    other Unixes, ``~/Library/Caches/triage`` on macOS, and
    ``%LOCALAPPDATA%\\triage\\Cache`` on Windows.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "triage" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "triage"
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec ignores a relative path: it would depend on the current folder.
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "triage"


def cache_dir() -> Path:
    """Where models built for a session are cached: ``$TRIAGE_HOME/cache``, else :func:`user_cache_dir`."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "cache"
    return user_cache_dir()


def default_model_path() -> Path:
    """Where the default model is read, built and cached.

    ``$TRIAGE_HOME/models/`` when set; the checkout's ``models/`` for an
    editable install; otherwise :func:`user_cache_dir`. Never the current
    folder: a model file found in a downloaded folder is not the user's own.
    """
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "models" / MODEL_FILENAME
    checkout = checkout_root()
    if checkout is not None:
        return checkout / "models" / MODEL_FILENAME
    return user_cache_dir() / MODEL_FILENAME
