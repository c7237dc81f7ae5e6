"""Honest figures: cross-validation on the project's labels, and scores on real text.

- :mod:`~triage.evaluation.evaluate`: the model beside its baselines on the labelled articles;
- :mod:`~triage.evaluation.benchmarks`: any folder in the layout of ``shared/benchmarks/``;
- :mod:`~triage.evaluation.aeb`: the article-body metric and line scores;
- :mod:`~triage.evaluation.baselines`: reference line filters (the 10-word rule, jusText, ...);
- :mod:`~triage.evaluation.curve`: a learning curve on the user's own articles.
"""
