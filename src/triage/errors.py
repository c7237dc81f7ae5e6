"""Exceptions that the CLI turns into one-line ``Error: ...`` messages.

Messages are in the library's terms: a parameter is named in backticks
(``set `text_field` ``), and the command line shows its option there instead
(``set --text-field``), so a message reads right from Python and from the shell.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base class for every error a user can cause and fix."""

    exit_code = 1


class InputError(TriageError):
    """An article or corpus could not be read or decoded."""


class LabelError(TriageError):
    """A label file is missing, malformed or out of step with its article."""


class ModelError(TriageError):
    """A model file is missing, corrupt, foreign or from another scikit-learn.

    Parameters
    ----------
    path
        The model file, or the part of a model being saved or loaded.
    problem
        What is wrong with it, e.g. ``"not a triage model file"``.
    fix
        What to do about it, e.g. ``"run 'triage train' to make one"``; may be empty.
    """

    REBUILD = "run 'triage train' to rebuild it"

    def __init__(self, path, problem: str, fix: str = ""):
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}" + (f"; {fix}" if fix else ""))

    def __reduce__(self):  # worker processes send errors back pickled
        return type(self), (self.path, self.problem, self.fix)


class UsageError(TriageError):
    """A command was called with options that do not fit together; raised by the CLI only."""

    exit_code = 2


class ArgumentError(TriageError):
    """A library function got an argument out of its range, or one that does not fit another.

    The command line reports it as a usage error (exit code 2): the argument is
    an option there.
    """

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
