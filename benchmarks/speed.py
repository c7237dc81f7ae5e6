"""Speed and memory of triage as a pipeline stage, as ratios measured side by side.

Builds a reproducible synthetic corpus (JSON Lines, one article per record) from
the seed articles' sentences (each story paragraph one to three sentences drawn
from seed paragraphs of one label, so that paragraphs rarely repeat, as in a real
corpus; page leftovers are drawn whole, as pages repeat them), then times in this one run, each command in a
fresh process:

- the *floor*: reading the same file and running scikit-learn's default token
  regex over every paragraph;
- ``triage classify CORPUS -o OUT.jsonl`` with one process and with ``--jobs 2``;
- peak memory (RSS) of the one-process classify at each corpus size;
- cold start: ``triage classify SEED`` against importing scikit-learn's modules,
  ``triage --help`` against ``python -c pass``, and the time to load the model
  file once scikit-learn is imported;
- training: fitting the pipeline on a labelled synthetic corpus (seed labels);
- HTML pages per second, triage (reading each page and classifying its blocks
  with the HTML stage, 64 pages per prediction) against trafilatura's
  ``extract`` on the same pages, each in a fresh process with the pages already
  in memory: the labelled pages of ``labels/html`` and, where they are beside the
  repository, the pages of ``../shared/benchmarks/aeb`` and ``wcxb`` (read in
  place for timing only);
- ``triage label`` in a pseudo-terminal (needs pexpect): the time from starting it
  to the first paragraph on screen with a model file given, the median time from a
  key to the next paragraph drawn, and the time a second session on a locked labels
  folder takes to be refused, against ``python -c pass``.

The machine is shared and noisy, so targets are ratios against a baseline
measured in the same run. Writes a Markdown table to ``benchmarks/RESULTS.md``
(or ``--results``).

    python benchmarks/speed.py [--sizes 10000,100000,1000000] [--train-size 100000]
    python benchmarks/speed.py --cold-start-only [--model PATH]   # prints, writes nothing
    python benchmarks/speed.py --label-only [--model PATH]        # prints, writes nothing
    python benchmarks/speed.py --html-only [--model PATH]         # prints, writes nothing
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARAGRAPHS_PER_ARTICLE = 20
PYTHON = sys.executable
START, END = "<!-- results: written by benchmarks/speed.py -->", "<!-- /results -->"

FLOOR = r"""
import json, re, sys, time
token = re.compile(r"(?u)\b\w\w+\b")
start = time.perf_counter()
n = 0
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        for paragraph in json.loads(line)["text"].split("\n"):
            token.findall(paragraph.lower())
            n += 1
print(n, time.perf_counter() - start)
"""

TRAIN = r"""
import json, sys, time
from triage.labelling.files import LabelledArticle
from triage.model import fit
from triage.text import split_paragraphs
articles = []
with open(sys.argv[1], encoding="utf-8") as handle:
    for number, line in enumerate(handle):
        record = json.loads(line)
        paragraphs = split_paragraphs(record["text"])
        articles.append(LabelledArticle(str(number), None, None, paragraphs, dict(enumerate(record["labels"]))))
start = time.perf_counter()
fit(articles)
print(sum(len(a.labels) for a in articles), time.perf_counter() - start)
"""


LOAD = r"""
import sys, time
import sklearn.feature_extraction.text, sklearn.linear_model, sklearn.pipeline, sklearn.preprocessing
from triage.persist import load_model_file
start = time.perf_counter()
load_model_file(sys.argv[1])
print(time.perf_counter() - start)
"""


def seed_paragraphs() -> list[tuple[str, str]]:
    """(text, label) of every labelled seed paragraph."""
    sys.path.insert(0, str(REPO / "src"))
    from triage.labelling.files import load_labels

    out = []
    for article in load_labels(REPO / "labels"):
        if article.name[0].isdigit():  # the five real seeds, not labels/extra
            out.extend((article.paragraphs[i].text, label) for i, label in sorted(article.labels.items()))
    return out


def sentence_pools(pool: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The seeds' sentences per label (split as the cue features split them); leftovers stay whole."""
    from triage.features.cues import _SENTENCE  # importable once seed_paragraphs has put src/ on the path

    out: dict[str, list[str]] = {}
    for text, label in pool:
        pieces = [text] if label == "boilerplate" else [s for s in _SENTENCE.split(text) if s.strip()]
        out.setdefault(label, []).extend(pieces)
    return out


def build_corpus(path: Path, n_paragraphs: int, pool: list[tuple[str, str]], seed: int = 0) -> None:
    """Articles of 20 paragraphs, the same for the same size and seed.

    Each paragraph takes the label of a seed paragraph drawn at random; a story
    paragraph is one to three of that label's sentences, a boilerplate one a
    whole seed leftover.
    """
    rng = random.Random(seed)
    sentences = sentence_pools(pool)
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(0, n_paragraphs, PARAGRAPHS_PER_ARTICLE):
            labels = [rng.choice(pool)[1] for _ in range(min(PARAGRAPHS_PER_ARTICLE, n_paragraphs - number))]
            texts = [
                rng.choice(sentences[label])
                if label == "boilerplate"
                else " ".join(rng.choice(sentences[label]) for _ in range(rng.randint(1, 3)))
                for label in labels
            ]
            record = {"id": f"a{number // PARAGRAPHS_PER_ARTICLE}", "text": "\n".join(texts), "labels": labels}
            handle.write(json.dumps(record) + "\n")


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one command in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    out = process.stdout.read()
    err = process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.strip()[-500:]}")
    return seconds, usage.ru_maxrss, out


def best_of(command: list[str], repeat: int = 3) -> float:
    return min(timed(command)[0] for _ in range(repeat))


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import sklearn

    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, {platform.system()} {platform.release()}"
    )


def label_timings(model: str, work: Path, keys: int = 8) -> dict[str, float]:
    """Seconds to the first paragraph, median key-to-screen, and the locked-folder refusal."""
    import statistics

    import pexpect

    article = work / "label_article.txt"
    seed = next((REPO / "seeds").glob("*.txt"))
    article.write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    labels = work / "label_labels"
    command = ["-m", "triage", "label", str(article), "--labels", str(labels), "--model", model,
               "--retrain-every", "0", "--order", "document"]
    env = dict(os.environ, TERM="xterm")
    firsts, steps = [], []
    for _ in range(3):
        if labels.exists():
            for path in labels.iterdir():
                path.unlink()
        start = time.perf_counter()
        child = pexpect.spawn(PYTHON, command, env=env, encoding="utf-8", timeout=120, dimensions=(40, 120))
        child.delaybeforesend = None  # pexpect waits 50 ms before each send by default
        child.expect("paragraph 1 of")
        child.expect("q quit")
        firsts.append(time.perf_counter() - start)
        for n in range(2, keys + 2):
            start = time.perf_counter()
            child.send("4")
            child.expect(f"paragraph {n} of")
            child.expect("q quit")
            steps.append(time.perf_counter() - start)
        # A second session on the same folder while this one holds the lock.
        start = time.perf_counter()
        second = pexpect.spawn(PYTHON, command, env=env, encoding="utf-8", timeout=120)
        second.expect("Error: .*another 'triage label'")
        refused = time.perf_counter() - start
        second.expect(pexpect.EOF)
        child.send("q")
        child.expect(pexpect.EOF)
    return {
        "first": min(firsts),
        "first_median": statistics.median(firsts),
        "key": statistics.median(steps),
        "refused": refused,
    }


HTML = r"""
import gzip, sys, time
from pathlib import Path
files = sorted(p for p in Path(sys.argv[2]).iterdir() if p.name.endswith((".html", ".htm", ".html.gz")))
raws = [gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes() for p in files]
if sys.argv[1] == "trafilatura":
    import logging
    import trafilatura
    logging.getLogger("trafilatura").addHandler(logging.NullHandler())
    start = time.perf_counter()
    for raw in raws:
        trafilatura.extract(raw.decode("utf-8", "replace"), include_comments=False)
else:
    from triage.html import read_page
    from triage.persist import load_model_file
    model = load_model_file(sys.argv[1])
    model.classify_pages([read_page(b"<p>warm up</p>")])
    start = time.perf_counter()
    for first in range(0, len(raws), 64):  # as `triage classify` takes a folder, 64 pages a prediction
        model.classify_pages([read_page(raw) for raw in raws[first : first + 64]])
print(len(raws), time.perf_counter() - start)
"""


def html_folders() -> list[Path]:
    """The folders of pages to time: the labelled pages, and the shared benchmarks' pages where found."""
    shared = REPO.parent / "shared" / "benchmarks"
    found = [REPO / "labels" / "html"] + [shared / name / "html" for name in ("aeb", "wcxb")]
    return [folder for folder in found if folder.is_dir()]


def source_env() -> dict[str, str]:
    """This environment with the repository's ``src`` first on ``PYTHONPATH``, for ``python -c`` scripts."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}


def html_timings(model: str, folder: Path) -> tuple[int, float, float | None]:
    """Pages, triage's pages/s and trafilatura's (None when not installed), each in a fresh process."""

    def rate(who: str) -> tuple[int, float]:
        out = subprocess.run([PYTHON, "-c", HTML, who, str(folder)], capture_output=True, text=True, env=source_env())
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
        n, seconds = out.stdout.split()
        return int(n), int(n) / float(seconds)

    pages, ours = rate(model)
    try:
        _, theirs = rate("trafilatura")
    except RuntimeError:  # not installed (the compare extra)
        theirs = None
    return pages, ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="corpus sizes in paragraphs")
    parser.add_argument("--train-size", type=int, default=100000, help="paragraphs to train on (0: skip)")
    parser.add_argument("--model", default=None, help="model to classify with [default: trained here on labels/]")
    parser.add_argument("--results", default=str(REPO / "benchmarks" / "RESULTS.md"))
    parser.add_argument("--workdir", default=None, help="where to put the corpora [default: a temp folder]")
    parser.add_argument(
        "--cold-start-only", action="store_true", help="measure only the cold start and print it (no RESULTS.md)"
    )
    parser.add_argument(
        "--label-only", action="store_true", help="measure only triage label's start-up and keys (no RESULTS.md)"
    )
    parser.add_argument(
        "--html-only", action="store_true", help="measure only pages/s on HTML against trafilatura (no RESULTS.md)"
    )
    args = parser.parse_args()
    only = args.cold_start_only or args.label_only or args.html_only
    sizes = [] if only else [int(s) for s in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="triage-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pool = seed_paragraphs()
    triage = [PYTHON, "-m", "triage"]

    model = args.model
    if model is None:
        model = str(work / "model.joblib")
        timed(triage + ["train", "--no-eval", "--model", model])
    rows = []
    print(f"machine: {machine()}", flush=True)

    measured = {}
    for size in sizes:
        corpus = work / f"corpus_{size}.jsonl"
        if not corpus.exists():
            build_corpus(corpus, size, pool)
        floor_seconds = min(float(timed([PYTHON, "-c", FLOOR, str(corpus)])[2].split()[1]) for _ in range(2))
        one, rss, _ = timed(triage + ["classify", str(corpus), "--model", model, "-o", str(work / "out1.jsonl")])
        two, _, _ = timed(
            triage + ["classify", str(corpus), "--model", model, "--jobs", "2", "-o", str(work / "out2.jsonl")]
        )
        measured[size] = {"floor": size / floor_seconds, "one": size / one, "two": size / two, "rss": rss}
        m = measured[size]
        print(
            f"{size:>8} paragraphs: floor {m['floor']:,.0f}/s, classify {m['one']:,.0f}/s "
            f"({m['one'] / m['floor']:.1%} of floor), --jobs 2 {m['two']:,.0f}/s "
            f"({m['two'] / m['one']:.2f}x), peak RSS {rss / 1024:.0f} MiB",
            flush=True,
        )
        rows.append(
            f"| classify {size:,} paragraphs | {m['one']:,.0f} par/s vs floor {m['floor']:,.0f} par/s "
            f"| {m['one'] / m['floor']:.3f} | >= 0.5 | {'met' if m['one'] / m['floor'] >= 0.5 else 'not met'} |"
        )
        rows.append(
            f"| --jobs 2, {size:,} paragraphs | {m['two']:,.0f} vs {m['one']:,.0f} par/s "
            f"| {m['two'] / m['one']:.2f} | >= 1.7 | {'met' if m['two'] / m['one'] >= 1.7 else 'not met'} |"
        )
    sizes_sorted = sorted(measured)
    if len(sizes_sorted) >= 2:
        small, large = sizes_sorted[-2], sizes_sorted[-1]
        ratio = measured[large]["rss"] / measured[small]["rss"]
        rows.append(
            f"| peak RSS, {large:,} vs {small:,} paragraphs | {measured[large]['rss'] / 1024:.0f} vs "
            f"{measured[small]['rss'] / 1024:.0f} MiB | {ratio:.2f} | <= 1.3 | {'met' if ratio <= 1.3 else 'not met'} |"
        )

    if not (args.cold_start_only or args.label_only):
        for folder in html_folders():
            pages, ours, theirs = html_timings(model, folder)
            where = folder.relative_to(REPO.parent) if folder.is_relative_to(REPO.parent) else folder
            if theirs is None:
                rows.append(f"| HTML pages/s, {pages} pages of `{where}` | {ours:.1f} pages/s (trafilatura not "
                            "installed: `pip install -e '.[compare]'`) | | >= 1 | |")
            else:
                rows.append(
                    f"| HTML pages/s vs trafilatura, {pages} pages of `{where}` | {ours:.1f} vs {theirs:.1f} pages/s "
                    f"| {ours / theirs:.2f} | >= 1 | {'met' if ours >= theirs else 'not met'} |"
                )
            print(f"HTML, {pages} pages of {where}: triage {ours:.1f} pages/s, trafilatura "
                  + (f"{theirs:.1f} pages/s" if theirs else "not installed"), flush=True)
        if args.html_only:
            print("\n".join(rows))
            return

    bare = best_of([PYTHON, "-c", "pass"])
    label = None if args.cold_start_only else label_timings(model, work)
    if label is not None:
        rows.append(
            f"| triage label: first paragraph on screen (model file given) vs `python -c pass` | "
            f"{label['first']:.2f} s vs {bare:.2f} s (median of 3: {label['first_median']:.2f} s) | | <= 2 s "
            f"| {'met' if label['first'] <= 2 else 'not met'} |"
        )
        rows.append(f"| triage label: key to next paragraph drawn (median) | {label['key'] * 1000:.0f} ms | | | |")
        rows.append(f"| triage label: second session on a locked folder refused | {label['refused']:.2f} s | | | |")
        print(
            f"triage label: first paragraph {label['first']:.2f} s (median {label['first_median']:.2f} s), "
            f"key to screen {label['key'] * 1000:.0f} ms, locked folder refused in {label['refused']:.2f} s",
            flush=True,
        )
        if args.label_only:
            print("\n".join(rows))
            return

    seed = str(next((REPO / "seeds").glob("*.txt")))
    imports = best_of([PYTHON, "-c", "import sklearn.linear_model, sklearn.feature_extraction.text"])
    cold = best_of(triage + ["classify", seed, "--model", model, "--format", "jsonl"])
    helped = best_of(triage + ["--help"])
    rows.append(
        f"| cold start: classify one seed vs importing scikit-learn | {cold:.2f} s vs {imports:.2f} s "
        f"| {cold - imports:+.2f} s | <= +0.2 s | {'met' if cold - imports <= 0.2 else 'not met'} |"
    )
    rows.append(
        f"| `triage --help` vs `python -c pass` | {helped:.2f} s vs {bare:.2f} s | {helped - bare:+.2f} s "
        f"| <= +0.15 s | {'met' if helped - bare <= 0.15 else 'not met'} |"
    )
    env = source_env()
    load = min(
        float(subprocess.run([PYTHON, "-c", LOAD, model], capture_output=True, text=True, check=True, env=env).stdout)
        for _ in range(3)
    )
    rows.append(
        f"| loading the model file (scikit-learn imported) | {load * 1000:.0f} ms | | <= 50 ms "
        f"| {'met' if load <= 0.05 else 'not met'} |"
    )
    print(
        f"cold start {cold:.2f} s ({cold - imports:+.2f} s over importing scikit-learn), "
        f"--help {helped - bare:+.2f} s, model load {load * 1000:.0f} ms",
        flush=True,
    )
    if args.cold_start_only:
        print("\n".join(rows))
        return

    if args.train_size:
        corpus = work / f"corpus_{args.train_size}.jsonl"
        if not corpus.exists():
            build_corpus(corpus, args.train_size, pool)
        n, seconds = timed([PYTHON, "-c", TRAIN, str(corpus)])[2].split()
        seconds = float(seconds)
        rows.append(
            f"| train on {int(n):,} paragraphs | {seconds:.0f} s | | < 60 s | {'met' if seconds < 60 else 'not met'} |"
        )
        print(f"train on {n} paragraphs: {seconds:.1f} s", flush=True)

    table = "\n".join(
        [
            START,
            f"Measured with `python benchmarks/speed.py --sizes {args.sizes} --train-size {args.train_size}` "
            f"on {time.strftime('%Y-%m-%d')}.",
            "",
            f"Machine: {machine()}.",
            "",
            "| measurement | figures | ratio | target | |",
            "|---|---|---|---|---|",
            *rows,
            END,
        ]
    )
    results = Path(args.results)
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    if START in old and END in old:  # keep the notes written around the table
        text = old.split(START, 1)[0] + table + old.split(END, 1)[1]
    else:
        text = "# triage speed benchmark\n\n" + table + "\n"
    results.write_text(text, encoding="utf-8")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
