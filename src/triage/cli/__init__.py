"""The ``triage`` command and what it draws for people.

- :mod:`~triage.cli.app`: the commands, their options and the error boundary that
  turns every :class:`~triage.errors.TriageError` into one ``Error: ...`` line;
- :mod:`~triage.cli.render`: the classify table and the one colour per label;
- :mod:`~triage.cli.report`: evaluation figures as plain text;
- :mod:`~triage.cli.terminal`: the full-screen labelling session.

Nothing in the library imports from here.
"""
