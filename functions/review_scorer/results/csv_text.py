"""CSV rows as ``csv.writer`` writes them with its default dialect, at less cost per row.

The default dialect (``excel``: comma, ``"``, ``QUOTE_MINIMAL``, ``\\r\\n``) quotes a field only if
it holds a comma, a quote (then doubled), ``\\r`` or ``\\n``, and writes a row of one empty field
as ``""``. ``csv.writer`` looks at every character in Python's C loop; the join writes millions of
rows, most of them with nothing to quote, so :func:`write_rows` joins a row's fields with C string
operations, quotes field by field only a row that needs it, and hands the text over in blocks.
tests/unit/test_csv_text.py checks the bytes against ``csv.writer`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

LINE_END = "\r\n"
LINES_PER_WRITE = 256  # enough to make the per-write cost vanish; the upload sees rows soon


def csv_field(cell: str) -> str:
    """One field as the default dialect writes it."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def csv_line(cells: list[str]) -> str:
    """One row, without its line end."""
    line = ",".join(cells)
    if line.count(",") + 1 == len(cells) and line and not _special(line):
        return line  # no field holds a comma, a quote or a line break: nothing to quote
    if len(cells) == 1 and not cells[0]:
        return '""'  # a lone empty field, told apart from a blank line
    return ",".join(map(csv_field, cells))


def write_rows(out: IO[str], rows: Iterable[list[str]]) -> None:
    """Every row onto ``out``, each ended by ``\\r\\n``, :data:`LINES_PER_WRITE` rows a write."""
    lines: list[str] = []
    append = lines.append
    for cells in rows:
        line = ",".join(cells)
        if line.count(",") + 1 != len(cells) or '"' in line or "\n" in line or "\r" in line:
            line = csv_line(cells)  # (csv_line's test, inline: this is the loop of the join)
        elif not line:
            line = csv_line(cells)
        append(line)
        if len(lines) >= LINES_PER_WRITE:
            append("")  # the last line's end
            out.write(LINE_END.join(lines))
            lines.clear()
    if lines:
        append("")
        out.write(LINE_END.join(lines))


def _special(line: str) -> bool:
    return '"' in line or "\n" in line or "\r" in line
