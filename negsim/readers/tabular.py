"""The one tabular helper every delimited reader uses: decoding bytes, guessing delimiters and
quotes, splitting rows with their line numbers, and reading numbers.

Readers (negsim's CSV tables, KTAB's files, decide's ``#A/#P/#M/#D`` rows, the DEU data) differ
in their layouts, not in these chores, so the chores live here once.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ..errors import InputError, Problem

__all__ = ["decode", "dialect", "rows", "number", "MAX_NUMBER_LENGTH", "MAX_ROWS",
           "SNIFF_CHARS"]

#: A field longer than this is not read as a number (validation reports it verbatim): no
#: real capability, position or salience needs 64 characters.
MAX_NUMBER_LENGTH = 64
#: The most non-blank rows a table may have (a 1,000-actor x 30-issue long table has 30,001),
#: so that no file within the size limit takes long to validate.
MAX_ROWS = 100_000
#: The delimiter is guessed from at most this many characters (``csv.Sniffer``'s regular
#: expressions slow down on long samples).
SNIFF_CHARS = 65_536


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is one clear problem."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(name, "", "not UTF-8 text", line=line)]) from None


def dialect(text: str, delimiters: str = ",;\t", sample_lines: int = 50) -> tuple[str, str]:
    """(delimiter, quote character) as :class:`csv.Sniffer` guesses them from the first
    non-blank lines, else the most frequent candidate delimiter and ``"``. A file whose fields
    start with ``'`` (as decide writes them) quotes with ``'``."""
    head = text[:SNIFF_CHARS].splitlines()[:sample_lines]
    sample = "\n".join(ln for ln in head if ln.strip())
    try:
        d = csv.Sniffer().sniff(sample, delimiters=delimiters)
        delim, quote = d.delimiter, d.quotechar
    except csv.Error:
        counts = {c: sample.count(c) for c in delimiters}
        delim, quote = max(counts, key=lambda c: counts[c]), '"'
    if re.search(r"(^|[\t;,])\s*'#", sample, re.M):
        quote = "'"
    return delim, quote


def rows(text: str, delimiter: str | None = None, quotechar: str = '"', *,
         skipinitialspace: bool = False, trim: bool = True, unquote: bool = False,
         name: str = "<table>") -> list[tuple[int, list[str]]]:
    """Non-blank rows as ``(line number, stripped fields)``; the line is where the row starts.
    ``delimiter`` None: guessed (:func:`dialect`). ``trim`` drops trailing empty fields;
    ``unquote`` removes quotes a field kept around itself. Malformed quoting, a field longer
    than :func:`csv.field_size_limit` or more than :data:`MAX_ROWS` rows is a Problem of the
    file ``name``."""
    if delimiter is None:
        delimiter, quotechar = dialect(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar,
                        skipinitialspace=skipinitialspace)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            if unquote:
                cells = [c[1:-1].strip() if len(c) >= 2 and c[0] == c[-1] and c[0] in "'\""
                         else c for c in cells]
            if trim:
                while cells and not cells[-1]:
                    cells.pop()
            if any(cells):
                out.append((line, cells))
                if len(out) > MAX_ROWS:
                    raise InputError([Problem(name, "", f"more than {MAX_ROWS:,} rows; a "
                                              "scenario table needs far fewer", line=line)])
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Problem(name, "", f"malformed row: {exc}", line=line)]) from None
    return out


def number(text: str) -> Any:
    """A float if ``text`` reads as one (``nan`` and ``inf`` included, for validation to
    reject), else the stripped text, so that validation can report it verbatim."""
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH:
        return text
    try:
        return float(text)
    except ValueError:
        return text
