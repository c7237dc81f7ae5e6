"""Label names, default paths and the random seed; nothing here imports sklearn or pandas.

Paths come from one place. ``TRIAGE_HOME`` overrides the project root, the folder
that holds ``labels/``, ``models/`` and ``seeds/``; tests point it at a temporary
folder so that no test touches the real data.
"""

from __future__ import annotations

import os
from pathlib import Path

LABELS: tuple[str, ...] = ("attack", "state_response", "social_context", "boilerplate")
"""The four paragraph types, in the order the guide lists them."""

UNCERTAIN = "uncertain"
"""Label given to a paragraph whose best score is below ``--min-score``."""

RANDOM_STATE = 0
MODEL_FILENAME = "triage.joblib"
HOME_ENV = "TRIAGE_HOME"


def project_root() -> Path:
    """Return the folder that holds ``labels/``, ``models/`` and ``seeds/``.

    ``$TRIAGE_HOME`` when set; otherwise the source checkout this package runs
    from (an editable install); otherwise the current directory.
    """
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "labels").is_dir():
        return checkout
    return Path.cwd()


def labels_dir() -> Path:
    return project_root() / "labels"


def seeds_dir() -> Path:
    return project_root() / "seeds"


def default_model_path() -> Path:
    return project_root() / "models" / MODEL_FILENAME
