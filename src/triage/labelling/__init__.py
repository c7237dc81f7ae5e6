"""Labels: the files, the sessions that write them, checking them and moving them between tools.

- :mod:`~triage.labelling.files`: reading, validating and writing label files;
- :mod:`~triage.labelling.session`: what ``triage label`` asks next, and saving answers;
- :mod:`~triage.labelling.review`: ``triage labels check`` and ``stats``;
- :mod:`~triage.labelling.exchange`: ``triage labels export`` and ``import``
  (doccano, Label Studio);
- :mod:`~triage.labelling.agreement`: ``triage labels agree``.
"""
