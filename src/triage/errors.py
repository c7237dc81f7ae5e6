"""Exceptions that the CLI turns into one-line ``Error: ...`` messages."""

from __future__ import annotations


class TriageError(Exception):
    """Base class for every error a user can cause and fix."""

    exit_code = 1


class InputError(TriageError):
    """An article or corpus could not be read or decoded."""


class LabelError(TriageError):
    """A label file is missing, malformed or out of step with its article."""


class ModelError(TriageError):
    """A model file is missing, corrupt, foreign or from another scikit-learn."""


class UsageError(TriageError):
    """A command was called with options that do not fit together."""

    exit_code = 2


class OutputError(TriageError):
    """An output file or folder cannot be written."""


class WorkerError(TriageError):
    """A worker process died before it finished its share of the work."""


class MissingExtra(TriageError):
    """A feature needs an optional dependency that is not installed.

    Parameters
    ----------
    feature
        What the user asked for, e.g. ``"reading Parquet"``.
    extra
        The extra of ``pyproject.toml`` that installs it, e.g. ``"parquet"``.
    """

    def __init__(self, feature: str, extra: str):
        self.feature = feature
        self.extra = extra
        super().__init__(f"{feature} needs the optional dependencies of triage[{extra}]; pip install 'triage[{extra}]'")
