"""Quality on real text: every benchmark folder found, beside the baselines, into QUALITY.md.

    python benchmarks/quality.py [--benchmarks ../shared/benchmarks] [--model PATH]
                                 [--no-html] [--no-justext] [--output benchmarks/QUALITY.md]

Each folder under ``--benchmarks`` that holds ``gold.csv`` and ``pages/`` is scored
by the metric its labels call for (:mod:`triage.evaluation.benchmarks`): paragraph labels get
per-class and macro F1 (as given and lower-cased) beside the majority and ten-word
baselines; content/boilerplate folders get the boilerplate filter's body and line
figures beside keeping everything, the ten-word rule and jusText, and, where the
folder has ``html/``, the same filter reading the HTML. The benchmarks are read in
place and never copied; the model is the default one unless ``--model`` is given.
"""

from __future__ import annotations

import argparse
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from triage.evaluation import benchmarks as bench  # noqa: E402
from triage._atomic import atomic_write  # noqa: E402
from triage.api import load_model  # noqa: E402
from triage.errors import TriageError  # noqa: E402

FILTER_NAMES = {
    "triage": "triage `--drop boilerplate`",
    "keep_all": "keep everything",
    "min_10_words": "at least 10 words",
    "justext": "jusText on the text",
    "trafilatura": "trafilatura `extract(html)` (same run)",
    "readability": "readability-lxml (same run)",
}


def _paragraph_section(result: dict) -> list[str]:
    lines = [
        f"### `{Path(result['benchmark']).name}`: {result['pages']} reports, {result['paragraphs']} paragraphs (paragraph labels)",
        "",
        "| system | macro-F1 | attack | state_response | social_context | boilerplate | ECE | share >= 0.9 | right among them |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for view, title in (("as_is", "triage, text as given"), ("lower_cased", "triage, text lower-cased")):
        fig = result[view]
        c = fig["calibration"]
        lines.append(
            f"| {title} | {fig['macro_f1']:.3f} | "
            + " | ".join(f"{fig['f1'][label]:.3f}" for label in fig["labels"])
            + f" | {c['ece']:.3f} | {c['confident_share']:.1%} | {c['confident_accuracy']:.1%} |"
        )
    for name, fig in result["baselines"].items():
        lines.append(
            f"| {name.replace('_', ' ')} | {fig['macro_f1']:.3f} | "
            + " | ".join(f"{fig['f1'][label]:.3f}" for label in fig["labels"])
            + " | | | |"
        )
    return lines + [""]


def _body_section(result: dict) -> list[str]:
    html = result["input"] == "html"
    name = Path(result["benchmark"]).name
    lines = [
        f"### `{name}` from {'HTML' if html else 'text'}: {result['pages']} pages "
        f"(drop threshold {result['threshold']:.3f})",
        "",
        "| filter | body F1 | body P | body R |" + (" pages/s |" if html else " line P | line R (content kept) |"),
        "|---|---:|---:|---:|" + ("---:|" if html else "---:|---:|"),
    ]
    for key, fig in result["filters"].items():
        body = fig["body"]
        row = f"| {FILTER_NAMES.get(key, key)} | {body['f1']:.3f} | {body['precision']:.3f} | {body['recall']:.3f} |"
        if not html:
            row += f" {fig['line']['precision']:.3f} | {fig['line']['recall']:.3f} |"
        else:
            row += f" {fig['pages_per_second']:.1f} |" if "pages_per_second" in fig else " |"
        lines.append(row)
    if html:
        stage = "the HTML stage (markup and text)" if result.get("html_stage") else "the text alone (no HTML stage)"
        lines += ["", f"triage decided from {stage}; pages/s in one process, same run."]
        lines += [f"Not run: {missing}." for missing in result.get("not_run", [])]
    if "calibration" in result:
        c = result["calibration"]
        lines += [
            "",
            f"Keep/drop calibration: ECE {c['ece']:.3f}; {c['confident_share']:.1%} of lines scored "
            f">= 0.9 one way or the other, {c['confident_accuracy']:.1%} of those right.",
        ]
    return lines + [""]


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when it is beside or inside it."""
    import os

    return os.path.relpath(path.resolve(), ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--no-html", action="store_true", help="Skip the HTML runs.")
    parser.add_argument("--no-justext", action="store_true", help="Leave out the jusText baseline.")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "QUALITY.md")
    args = parser.parse_args(argv)
    try:
        if not args.benchmarks.is_dir():
            raise TriageError(f"{args.benchmarks}: no such folder; give --benchmarks DIR")
        model = load_model(args.model, note=lambda message: print(f"Note: {message}", file=sys.stderr))
        folders = sorted(p for p in args.benchmarks.iterdir() if (p / "gold.csv").is_file() and (p / "pages").is_dir())
        if not folders:
            raise TriageError(f"{args.benchmarks}: no benchmark folders (gold.csv and pages/) in it")
        sections: list[str] = []
        for folder in folders:
            print(f"scoring {folder.name} ...", file=sys.stderr, flush=True)
            if bench.kind(folder) == "paragraphs":
                sections += _paragraph_section(bench.evaluate_paragraphs(model, folder))
                continue
            sections += _body_section(bench.evaluate_body(model, folder, with_justext=not args.no_justext, bootstrap=0))
            if not args.no_html and (folder / "html").is_dir():
                print(f"scoring {folder.name} from HTML ...", file=sys.stderr, flush=True)
                sections += _body_section(
                    bench.evaluate_body(model, folder, with_justext=False, html=True, bootstrap=0)
                )
    except TriageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    meta = model.metadata
    header = [
        "# Quality on real text",
        "",
        "Written by `python benchmarks/quality.py`; every figure below comes from one run on",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, Python {platform.python_version()}, with the model trained on",
        f"{meta.get('n_articles', '?')} labelled articles (labels {str(meta.get('labels_sha256', '?'))[:12]}, "
        f"drop threshold {model.drop_threshold:.3f}).",
        "The benchmarks are real text nobody on the team wrote, read in place from",
        f"`{_shown(args.benchmarks)}`; the model is never trained on them. Their READMEs give the",
        "source, licence and metric. On HTML, trafilatura and readability-lxml run on the same",
        "pages in the same run when they are installed (`pip install -e '.[compare]'`).",
        "",
    ]
    text = "\n".join(header + sections)
    atomic_write(args.output, lambda handle: handle.write(text))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
