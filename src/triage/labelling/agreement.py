"""How far two analysts agree on the same articles: ``triage labels agree``.

Two labels folders are paired by article: the label files with the same stem
(``x.csv`` in each). An article is compared only when both folders hold the same
text for it (the same paragraphs, as :func:`triage.text.split_paragraphs` yields
them); otherwise it is listed as not comparable, since a paragraph index would
not name the same paragraph on both sides. Within a comparable article, the
paragraphs labelled on both sides are compared; a row labelled ``unsure`` counts
as not labelled on its side, and is counted apart.

- :func:`compare_labels`: the whole comparison, as an :class:`Agreement`.
- :func:`list_disagreements`: only the paragraphs the two folders label
  differently, with the article's path, for an adjudication screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from triage.config import LABELS
from triage.errors import LabelError
from triage.labelling.files import LabelledArticle, check_label_file, label_files

SIDES = ("a", "b")



@dataclass(frozen=True)
class Disagreement:
    """One paragraph the two folders label differently."""

    article: str
    index: int
    text: str
    label_a: str
    label_b: str
    path: Path
    """The article's text (the same in both folders)."""
    label_path_a: Path
    label_path_b: Path

    def as_dict(self) -> dict:
        return {
            "article": self.article,
            "index": self.index,
            "text": self.text,
            "label_a": self.label_a,
            "label_b": self.label_b,
            "path": str(self.path),
            "label_path_a": str(self.label_path_a),
            "label_path_b": str(self.label_path_b),
        }


@dataclass(frozen=True)
class OneSided:
    """A paragraph of a compared article labelled in one folder only (``side`` ``"a"`` or ``"b"``)."""

    article: str
    index: int
    text: str
    side: str
    label: str

    def as_dict(self) -> dict:
        return {"article": self.article, "index": self.index, "text": self.text, "side": self.side, "label": self.label}


@dataclass(frozen=True)
class Unsure:
    """A paragraph of a compared article that one folder labels ``unsure``."""

    article: str
    index: int
    side: str

    def as_dict(self) -> dict:
        return {"article": self.article, "index": self.index, "side": self.side}


@dataclass(frozen=True)
class NotComparable:
    """An article in both folders whose text differs between them."""

    article: str
    reason: str
    path_a: Path
    path_b: Path

    def as_dict(self) -> dict:
        return {"article": self.article, "reason": self.reason, "path_a": str(self.path_a), "path_b": str(self.path_b)}


@dataclass(frozen=True)
class ArticleAgreement:
    """The figures of one compared article.

    ``agreement`` is ``None`` when no paragraph is labelled on both sides;
    ``kappa`` is ``None`` then too, and when both sides give every compared
    paragraph one and the same label (chance agreement is 1: kappa is undefined).
    """

    article: str
    paragraphs: int
    agreed: int
    agreement: float | None
    kappa: float | None

    def as_dict(self) -> dict:
        return {
            "article": self.article,
            "paragraphs": self.paragraphs,
            "agreed": self.agreed,
            "agreement": self.agreement,
            "kappa": self.kappa,
        }


@dataclass(frozen=True)
class Agreement:
    """What :func:`compare_labels` found.

    ``confusion[i][j]`` counts the paragraphs folder A labels ``labels[i]`` and
    folder B labels ``labels[j]`` (rows A, columns B). ``kappa`` is Cohen's kappa
    over every compared paragraph, ``None`` when only one label occurs on both
    sides.
    """

    folder_a: Path
    folder_b: Path
    labels: tuple[str, ...]
    articles: tuple[ArticleAgreement, ...]
    paragraphs: int
    agreed: int
    agreement: float
    kappa: float | None
    confusion: tuple[tuple[int, ...], ...]
    disagreements: tuple[Disagreement, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    not_comparable: tuple[NotComparable, ...]
    one_sided: tuple[OneSided, ...]
    unsure: tuple[Unsure, ...]

    def unsure_count(self, side: str) -> int:
        """Paragraphs of the compared articles that folder ``side`` (``"a"`` or ``"b"``) labels unsure."""
        return sum(1 for u in self.unsure if u.side == side)

    def as_dict(self) -> dict:
        """Everything, as plain JSON-ready values."""
        return {
            "folder_a": str(self.folder_a),
            "folder_b": str(self.folder_b),
            "articles": len(self.articles),
            "paragraphs": self.paragraphs,
            "agreed": self.agreed,
            "agreement": self.agreement,
            "kappa": self.kappa,
            "per_article": [a.as_dict() for a in self.articles],
            "confusion": {
                "rows": "folder_a",
                "columns": "folder_b",
                "labels": list(self.labels),
                "matrix": [list(row) for row in self.confusion],
            },
            "disagreements": [d.as_dict() for d in self.disagreements],
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "not_comparable": [n.as_dict() for n in self.not_comparable],
            "one_sided": [o.as_dict() for o in self.one_sided],
            "unsure": {
                "a": self.unsure_count("a"),
                "b": self.unsure_count("b"),
                "paragraphs": [u.as_dict() for u in self.unsure],
            },
        }


def _folder(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise LabelError(f"{path}: no such folder; give two labels folders of the same articles")
    if not path.is_dir():
        raise LabelError(f"{path}: is not a folder; give a labels folder of <article>.csv files")
    return path


def _files_by_article(folder: Path) -> dict[str, Path]:
    """Each label file of ``folder`` (sub-folders included) by its stem, the article's name."""
    by_name: dict[str, Path] = {}
    for path in label_files(folder):
        if path.stem in by_name:
            raise LabelError(
                f"{folder}: two label files for article {path.stem} ({by_name[path.stem]} and {path}); "
                "articles are paired by file name: keep one"
            )
        by_name[path.stem] = path
    return by_name


def _read(label_path: Path, folder: Path) -> LabelledArticle:
    """One label file, ``unsure`` rows accepted; a broken file is an error naming it and the line."""
    article, problems = check_label_file(label_path, folder)
    if problems or article is None:
        more = (
            f" (and {len(problems) - 1} more problems: 'triage labels check' on {folder} lists them)"
            if len(problems) > 1 else ""
        )
        raise LabelError(problems[0] + more)
    return article


def _difference(a: LabelledArticle, b: LabelledArticle) -> str | None:
    """Why the two copies of an article are not the same text, or ``None`` if they are."""
    texts_a, texts_b = a.texts, b.texts
    if texts_a == texts_b:
        return None
    first = next((i for i, (x, y) in enumerate(zip(texts_a, texts_b)) if x != y), min(len(texts_a), len(texts_b)))
    counts = "" if len(texts_a) == len(texts_b) else f"{len(texts_a)} paragraphs against {len(texts_b)}; "
    return f"the article's text differs ({counts}first at paragraph {first})"


def _kappa(labels_a: list[str], labels_b: list[str]) -> float | None:
    """Cohen's kappa, or ``None`` when it is undefined: one label, the same, on both sides."""
    if len(set(labels_a) | set(labels_b)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(labels_a, labels_b, labels=list(LABELS)))


def compare_labels(folder_a: str | Path, folder_b: str | Path) -> Agreement:
    """Compare two analysts' labels of the same articles.

    Parameters
    ----------
    folder_a, folder_b
        Labels folders (``<article>.csv`` files with ``index,label,text``, the
        articles beside them or in ``seeds/`` next to the folder). Label files
        are paired by file name; only the files of articles in both folders are
        read.

    Returns
    -------
    Agreement
        The figures overall and per article, the confusion matrix, the
        disagreements and everything that was not compared.

    Raises
    ------
    LabelError
        A folder is missing, not a folder or has no label files; a label file of
        an article in both folders is broken (the message names it and the
        line); the folders have no article in common, or nothing to compare
        (every article in common differs in text, or no paragraph is labelled
        in both).
    """
    folder_a, folder_b = _folder(folder_a), _folder(folder_b)
    files_a, files_b = _files_by_article(folder_a), _files_by_article(folder_b)
    common = sorted(files_a.keys() & files_b.keys())
    if not common:
        raise LabelError(
            f"{folder_a} and {folder_b}: no article in common (label files are paired by name, "
            f"e.g. {next(iter(files_a.values())).name} and {next(iter(files_b.values())).name}); "
            "give two folders that label the same articles"
        )
    pairs_a: list[str] = []
    pairs_b: list[str] = []
    articles, disagreements, one_sided, unsure, not_comparable = [], [], [], [], []
    for name in common:
        article_a, article_b = _read(files_a[name], folder_a), _read(files_b[name], folder_b)
        reason = _difference(article_a, article_b)
        if reason is not None:
            not_comparable.append(NotComparable(name, reason, article_a.article_path, article_b.article_path))
            continue
        for side, article in zip(SIDES, (article_a, article_b)):
            unsure.extend(Unsure(name, i, side) for i in sorted(article.unsure))
        decided_a, decided_b = article_a.labels, article_b.labels
        both = sorted(decided_a.keys() & decided_b.keys())
        for index in sorted(decided_a.keys() ^ decided_b.keys()):
            side, label = ("a", decided_a[index]) if index in decided_a else ("b", decided_b[index])
            one_sided.append(OneSided(name, index, article_a.paragraphs[index].text, side, label))
        these_a = [decided_a[i] for i in both]
        these_b = [decided_b[i] for i in both]
        agreed = sum(x == y for x, y in zip(these_a, these_b))
        articles.append(
            ArticleAgreement(
                name,
                len(both),
                agreed,
                agreed / len(both) if both else None,
                _kappa(these_a, these_b) if both else None,
            )
        )
        for index, label_a, label_b in zip(both, these_a, these_b):
            if label_a != label_b:
                disagreements.append(
                    Disagreement(
                        name, index, article_a.paragraphs[index].text, label_a, label_b,
                        article_a.article_path, article_a.label_path, article_b.label_path,
                    )
                )
        pairs_a.extend(these_a)
        pairs_b.extend(these_b)
    if not articles:
        names = ", ".join(n.article for n in not_comparable[:3]) + (" ..." if len(not_comparable) > 3 else "")
        raise LabelError(
            f"{folder_a} and {folder_b}: the {len(common)} articles in common differ in text ({names}); "
            "nothing to compare: label the same version of each article"
        )
    if not pairs_a:
        raise LabelError(
            f"{folder_a} and {folder_b}: no paragraph is labelled in both folders "
            f"({len(articles)} articles in common); nothing to compare"
        )
    from sklearn.metrics import confusion_matrix

    agreed = sum(a.agreed for a in articles)
    matrix = confusion_matrix(pairs_a, pairs_b, labels=list(LABELS))
    return Agreement(
        folder_a=folder_a,
        folder_b=folder_b,
        labels=LABELS,
        articles=tuple(articles),
        paragraphs=len(pairs_a),
        agreed=agreed,
        agreement=agreed / len(pairs_a),
        kappa=_kappa(pairs_a, pairs_b),
        confusion=tuple(tuple(int(n) for n in row) for row in matrix),
        disagreements=tuple(disagreements),
        only_in_a=tuple(sorted(files_a.keys() - files_b.keys())),
        only_in_b=tuple(sorted(files_b.keys() - files_a.keys())),
        not_comparable=tuple(not_comparable),
        one_sided=tuple(one_sided),
        unsure=tuple(unsure),
    )


def list_disagreements(folder_a: str | Path, folder_b: str | Path) -> list[Disagreement]:
    """The paragraphs two labels folders label differently, for adjudication.

    Parameters
    ----------
    folder_a, folder_b
        Labels folders, as for :func:`compare_labels`.

    Returns
    -------
    list of Disagreement
        In article then paragraph order; each names the article, the paragraph's
        index and text, both labels, the article's text file and both label files.

    Raises
    ------
    LabelError
        As :func:`compare_labels`.
    """
    return list(compare_labels(folder_a, folder_b).disagreements)


def comparable_articles(folder_a: str | Path, folder_b: str | Path) -> list[tuple[LabelledArticle, LabelledArticle]]:
    """The articles both folders label, with the same text: each as folder A and folder B read it.

    Raises
    ------
    LabelError
        As :func:`compare_labels`.
    """
    folder_a, folder_b = _folder(folder_a), _folder(folder_b)
    files_a, files_b = _files_by_article(folder_a), _files_by_article(folder_b)
    pairs = []
    for name in sorted(files_a.keys() & files_b.keys()):
        article_a, article_b = _read(files_a[name], folder_a), _read(files_b[name], folder_b)
        if _difference(article_a, article_b) is None:
            pairs.append((article_a, article_b))
    return pairs
