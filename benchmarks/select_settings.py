"""Choose the model's settings by grouped cross-validation, not by hand.

Runs leave-one-article-out cross-validation on the project's labels for each
candidate setting and prints macro-F1 and boilerplate F1 on all articles and on
the real seed articles alone (held out, trained on all the others). The shipped
defaults in ``triage.model.ModelSettings`` are the ones this table supports.

    python benchmarks/select_settings.py [--labels labels] [--quick]

About five minutes per candidate on two cores (``--quick`` runs the first three).
"""

from __future__ import annotations

import argparse
import time

from triage.config import labels_dir
from triage.evaluation.evaluate import is_seed
from triage.labelling.files import load_labels
from triage.model import ModelSettings, cross_validate

CANDIDATES = {
    "shipped defaults": ModelSettings(),
    "C=0.3": ModelSettings(C=0.3),
    "C=3": ModelSettings(C=3.0),
    "C=10": ModelSettings(C=10.0),
    "no class weights": ModelSettings(class_weight=None),
    "no character n-grams": ModelSettings(char_ngrams=None),
    "character 2-4-grams": ModelSettings(char_ngrams=(2, 4)),
    "second pass C=0.1": ModelSettings(neighbour_C=0.1),
    "no layout features": ModelSettings(layout=False),
    "no actor/action cues": ModelSettings(cues=False),
    "no neighbour second pass": ModelSettings(neighbours=False),
    "lbfgs solver": ModelSettings(solver="lbfgs"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=None, help="labels folder [default: the project's]")
    parser.add_argument("--quick", action="store_true", help="only the first three candidates")
    args = parser.parse_args()
    articles = [a for a in load_labels(args.labels or labels_dir()) if a.labels]
    seeds = {a.name for a in articles if is_seed(a)}
    names = list(CANDIDATES)[:3] if args.quick else list(CANDIDATES)
    print(f"{len(articles)} articles ({len(seeds)} seed articles)\n")
    print(f"{'setting':24}  macro-F1  boiler F1  seeds macro-F1  seeds boiler F1  seconds")
    for name in names:
        started = time.perf_counter()
        result = cross_validate(articles, CANDIDATES[name], n_jobs=-1)
        on_seeds = result.on(seeds)
        e = result.evaluation
        print(
            f"{name:24}  {e.macro_f1:8.3f}  {e.f1['boilerplate']:9.3f}  "
            f"{on_seeds.macro_f1:14.3f}  {on_seeds.f1['boilerplate']:15.3f}  "
            f"{time.perf_counter() - started:7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
