"""Reading bytes into text and splitting text into paragraphs with offsets.

Two layouts of plain text are told apart:

* one paragraph per line (what scrapers and the seed articles produce): every
  non-blank line is a paragraph, blank lines or not;
* hard-wrapped prose, where paragraphs are separated by blank lines and long
  paragraphs are broken over several lines at a fixed width: the lines of one
  paragraph are joined again.

A line break inside a block of non-blank lines is taken as a wrap only when the
line was full: the next line's first word would not have fitted on it. A short
line (a heading, a menu item, a dateline) therefore still stands alone.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InputError

# Characters that print as nothing: a line made only of these and whitespace is blank.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_WRAP_WIDTH_MAX = 100  # hard-wrapped text is wrapped at or below this width...
_WRAP_WIDTH_MIN = 40  # ...and above this one; a text of short lines is a list of lines
_LONG_LINE_SHARE = 0.05  # more long lines than this: one paragraph per line


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article.

    ``text`` is ``source[start:end]`` with runs of whitespace (line breaks and
    no-break spaces included) folded to single spaces.
    """

    index: int
    start: int
    end: int
    text: str


def normalise_space(text: str) -> str:
    """Fold every run of whitespace to one space and trim both ends."""
    return " ".join(text.split())


def _is_blank(line: str) -> bool:
    return not line.strip().strip(_INVISIBLE).strip()


def decode_bytes(data: bytes, *, source: str = "<bytes>") -> str:
    """Decode an article's bytes to text.

    Parameters
    ----------
    data
        The raw bytes.
    source
        How to name the input in an error message.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    InputError
        The bytes are binary (NUL bytes, control characters) or not text in
        UTF-8, UTF-16 with a BOM, cp1252 or cp1251.
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source}: starts with a {codec.upper()} byte-order mark but is not valid "
                    f"{codec.upper()} (byte {exc.start}); re-save it as UTF-8"
                ) from None
    if b"\x00" in data:
        raise InputError(f"{source}: looks binary (it has NUL bytes); give a plain-text article")
    controls = sum(data.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if controls > max(2, len(data) // 100):
        raise InputError(
            f"{source}: looks binary ({controls} control characters); give a plain-text article"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for codec in _legacy_codecs(data):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{source}: cannot be decoded as UTF-8, UTF-16, cp1252 or cp1251; re-save it as UTF-8"
    )


def _legacy_codecs(data: bytes) -> tuple[str, str]:
    """Order cp1251 and cp1252 by how the high bytes sit in the text.

    Cyrillic in cp1251 puts letters 0xC0-0xFF next to each other (whole words);
    Western text in cp1252 puts an accented letter between ASCII letters.
    """
    runs = isolated = 0
    for i, byte in enumerate(data):
        if byte < 0xC0:
            continue
        before = data[i - 1] if i else 0x20
        after = data[i + 1] if i + 1 < len(data) else 0x20
        if before >= 0xC0 or after >= 0xC0:
            runs += 1
        elif chr(before).isalpha() or chr(after).isalpha():
            isolated += 1
    return ("cp1251", "cp1252") if runs > isolated else ("cp1252", "cp1251")


def read_text(path: str | Path) -> str:
    """Read and decode one article file.

    Raises
    ------
    InputError
        The file is missing, unreadable, a directory, or not decodable text.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the file") from None
    return decode_bytes(data, source=str(path))


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line with its start offset, line ending stripped (CRLF, CR or LF)."""
    out = []
    for match in _LINE.finditer(text):
        raw = match.group()
        if not raw:
            break
        out.append((match.start(), raw.rstrip("\r\n")))
    return out


def _is_hard_wrapped(lines: list[str]) -> int:
    """Return the wrap width if the text looks hard-wrapped, else 0."""
    content = [line.rstrip() for line in lines if not _is_blank(line)]
    if not content or len(content) == len(lines):
        return 0  # no blank line separates paragraphs
    long_lines = sum(len(line) > _WRAP_WIDTH_MAX for line in content)
    if long_lines > _LONG_LINE_SHARE * len(content):
        return 0
    width = max((len(line) for line in content if len(line) <= _WRAP_WIDTH_MAX), default=0)
    return width if width >= _WRAP_WIDTH_MIN else 0


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split an article's text into paragraphs.

    Parameters
    ----------
    text
        Decoded text, as from :func:`read_text` or :func:`decode_bytes`.

    Returns
    -------
    list[Paragraph]
        In reading order, ``index`` counting from 0. Blank and whitespace-only
        lines are dropped; an empty or blank text gives an empty list.
    """
    lines = _lines(text)
    width = _is_hard_wrapped([line for _, line in lines])
    blocks: list[list[tuple[int, str]]] = []
    previous = ""
    for offset, line in lines:
        if _is_blank(line):
            previous = ""
            continue
        stripped = line.strip()
        joins = (
            width
            and previous
            and len(previous) + 1 + len(stripped.split()[0]) > width
        )
        if joins:
            blocks[-1].append((offset, line))
        else:
            blocks.append([(offset, line)])
        previous = line.rstrip()
    paragraphs = []
    for block in blocks:
        first_offset, first_line = block[0]
        last_offset, last_line = block[-1]
        start = first_offset + len(first_line) - len(first_line.lstrip())
        end = last_offset + len(last_line.rstrip())
        paragraphs.append(
            Paragraph(len(paragraphs), start, end, normalise_space(text[start:end]))
        )
    return paragraphs
