"""Evidence files in: item responses and annual scale scores, CSV or Parquet.

    from sounding.evidence import import_responses, import_scores, read_responses
    df = read_responses("responses.parquet", graph=load_default())   # typed, or InvalidEvidence
    with Store.open("sounding.db") as store:
        import_responses(store, "responses.csv")        # validated, then one transaction
        import_scores(store, "scores.csv")

Why it works this way:

- CSV is read by pyarrow with every column as a string (ids stay text; "007" stays "007"),
  multi-threaded; checks are vectorised (``evidence.checks``). Only when something is wrong
  does a slow, exact pass over the text recover the line numbers of the offending rows, so
  the happy path never loops over rows in Python and the error path still names lines.
- Line numbers are file lines (header = line 1) for CSV, and 1-based row numbers for Parquet
  (which has no header line).
- Importing is validate-everything-then-write: a file with any problem changes nothing.
  Responses are keyed by (student, item, timestamp, source), so importing the same file
  again adds nothing; scores are keyed by (student, year, subject) and re-importing updates.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Container
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sounding.errors import InvalidData, InvalidEvidence, InvalidScores, NotFound
from sounding.evidence.checks import (
    RESPONSE_KEY,
    SCORE_KEY,
    Limits,
    LineMap,
    _responses,
    _scores,
    data_rows,
)
from sounding.roster.records import ImportReport, Problems, decode_text, sha256_bytes


class _CsvLines:
    """Row position -> file line, computed only when a problem needs it.

    A plain file (no quotes, no blank lines, every row well formed) maps row i to line i + 2.
    Otherwise one exact pass with the csv module finds where each kept row starts.
    """

    def __init__(self, text: str | None, ncols: int, plain: bool) -> None:
        self.text, self.ncols, self.plain = text, ncols, plain
        self._starts: np.ndarray | None = None

    def __call__(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        if self.plain or self.text is None:
            return data_rows(positions)
        if self._starts is None:
            starts = [line for line, fields in _records(self.text)
                      if line > 1 and _kept(fields, self.ncols)]
            self._starts = np.asarray(starts, dtype=np.int64)
        inside = positions < len(self._starts)
        out = data_rows(positions)
        out[inside] = self._starts[positions[inside]]
        return out


def _records(text: str):
    """(first line, fields) of every CSV record (blank lines included, as [])."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    start = 1
    for fields in reader:
        yield start, fields
        start = reader.line_num + 1


def _kept(fields: list[str], ncols: int) -> bool:
    return bool(fields) and len(fields) == ncols


def _header(text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first:
        return []
    try:
        return next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return first.split(",")


def read_csv_strings(data: bytes, file: str, problems: Problems
                     ) -> tuple[pd.DataFrame | None, LineMap]:
    """A CSV file as a DataFrame of strings (empty fields as ""), with its line map.

    Structural problems (bad UTF-8, duplicate header names, rows with too few or too many
    fields) go to ``problems``; returns None for the frame when rows cannot be checked.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    n_before = len(problems)
    text = decode_text(data, file, problems)
    if len(problems) > n_before:
        data = text.encode("utf-8")
    header = _header(text)
    if not header:
        return pd.DataFrame(), data_rows
    seen: set[str] = set()
    for i, name in enumerate(header):
        if name in seen:
            problems.add(file, 1, name or f"column {i + 1}",
                         f"column {name!r} appears twice in the header")
        seen.add(name)
    if len(seen) != len(header):
        return None, data_rows
    invalid = [0]

    def on_invalid(_row: object) -> str:
        invalid[0] += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in header}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException):
        table = None
    if table is not None and invalid[0] == 0:
        plain = b'"' not in data and b"\n\n" not in data and b"\n\r\n" not in data
        lines = _CsvLines(None if plain else text, len(header), plain)
        return table.to_pandas(), lines
    # the exact (slow) pass: only for files that are already known to be malformed
    cols: list[list[str]] = [[] for _ in header]
    starts: list[int] = []
    ncols = len(header)
    try:
        for line, fields in _records(text):
            if line == 1 or not fields:
                continue
            if len(fields) < ncols:
                problems.add(file, line, header[len(fields)],
                             f"row has {len(fields)} field(s), the header has {ncols}: "
                             f"{header[len(fields)]!r} and later fields are missing")
            elif len(fields) > ncols:
                extra = ", ".join(repr(v) for v in fields[ncols:ncols + 3])
                problems.add(file, line, f"column {ncols + 1}",
                             f"row has {len(fields)} fields, the header has {ncols}: "
                             f"extra value(s) {extra}")
            else:
                starts.append(line)
                for c, v in zip(cols, fields, strict=True):
                    c.append(v)
    except csv.Error as exc:
        problems.add(file, (starts[-1] + 1) if starts else 2, None,
                     f"not readable as CSV: {exc}")
    frame = pd.DataFrame({n: pd.Series(c, dtype="str") for n, c in zip(header, cols,
                                                                       strict=True)})
    starts_arr = np.asarray(starts, dtype=np.int64)

    def lines(positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        return starts_arr[positions] if len(starts_arr) else data_rows(positions)
    return frame, lines


def _read_parquet(path: Path, file: str, problems: Problems) -> pd.DataFrame | None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        problems.add(file, None, None, f"not a readable Parquet file: {exc}")
        return None
    arrays = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = pc.cast(col, col.type.value_type)
        arrays.append(col)
    table = pa.Table.from_arrays(arrays, names=table.column_names)
    return table.to_pandas()


def _row_numbers(positions: np.ndarray) -> np.ndarray:
    """Parquet has no header line: rows are numbered from 1."""
    return np.asarray(positions, dtype=np.int64) + 1


def _is_parquet(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".parquet", ".pq") or head[:4] == b"PAR1"


def _load(path: str | Path, problems: Problems
          ) -> tuple[pd.DataFrame | None, LineMap, str, str]:
    """(frame, line map, file label, sha256) of a CSV or Parquet evidence file."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"file not found: {p}")
    data = p.read_bytes()
    digest = sha256_bytes(data)
    if _is_parquet(p, data[:4]):
        return _read_parquet(p, p.name, problems), _row_numbers, p.name, digest
    frame, lines = read_csv_strings(data, p.name, problems)
    return frame, lines, p.name, digest


def _read(path: str | Path, kind: str, error: type[InvalidData],
          notes: list[str] | None = None, **checks) -> tuple[pd.DataFrame, str, str]:
    problems = Problems()
    frame, lines, label, digest = _load(path, problems)
    out = None
    if frame is not None:
        check = _responses if kind == "responses" else _scores
        out = check(frame, label, lines, problems, notes=notes, **checks)
    if out is None or problems:
        if not problems:  # pragma: no cover - every None result records a problem
            problems.add(label, None, None, "file could not be read")
        raise error(problems.final())
    return out, label, digest


def read_responses(path: str | Path, *, graph: Container[str] | None = None,
                   student_ids: Container[str] | None = None) -> pd.DataFrame:
    """Read and check an item-response file (CSV or Parquet); InvalidEvidence on problems.

    :param graph: the progression (``code in graph``); None skips the standards check.
    :param student_ids: known students; None skips the roster check.
    """
    return _read(path, "responses", InvalidEvidence, standards=graph,
                 student_ids=student_ids)[0]


def read_scores(path: str | Path, *, student_ids: Container[str] | None = None,
                limits: Limits = Limits()) -> pd.DataFrame:
    """Read and check an annual scale-score file (CSV or Parquet); InvalidScores on problems.

    :param limits: plausible score, grade and year ranges (default 0..1000, 0..12,
        1990..2100); a state's scale may need its own score range.
    """
    return _read(path, "scores", InvalidScores, student_ids=student_ids, limits=limits)[0]


def import_responses(store, path: str | Path, *, graph: Container[str] | None = None
                     ) -> ImportReport:
    """Check an item-response file against the roster and the progression, then add it.

    Rows already stored (same student, item, timestamp and source) are skipped, so importing
    a file twice, or an export that overlaps the last one, adds only what is new.
    """
    from sounding.store.store import bulk_write, count_rows
    from sounding.store.tables import imports, responses

    t0 = time.perf_counter()
    if graph is None:
        graph = store.progression()  # the district's own framework when it imported one
    notes: list[str] = []
    df, label, digest = _read(path, "responses", InvalidEvidence, notes, standards=graph,
                              student_ids=store.student_ids())
    with store.begin() as conn:
        before = count_rows(store, conn)["responses"]
        bulk_write(conn, responses, df, on_conflict="ignore", key_cols=list(RESPONSE_KEY))
        after = count_rows(store, conn)
        conn.execute(imports.insert().values(kind="responses", file_name=label, sha256=digest,
                                             rows=len(df), imported_at=datetime.now()))
    report = ImportReport(kind="responses", source=str(path), rows={"responses": len(df)},
                          written={"responses": after["responses"] - before},
                          counts={"responses": after["responses"]}, notes=notes)
    skipped = len(df) - (after["responses"] - before)
    if skipped:
        report.notes.append(f"{skipped} response(s) were already stored (same student, "
                            "item, timestamp and source) and were skipped")
    if len(df):
        report.notes.append(f"{df['student_id'].nunique()} student(s), "
                            f"{df['standard'].nunique()} standard(s), from "
                            f"{df['timestamp'].min():%Y-%m-%d} to "
                            f"{df['timestamp'].max():%Y-%m-%d}")
    report.seconds = time.perf_counter() - t0
    return report


def import_scores(store, path: str | Path, *, limits: Limits = Limits()) -> ImportReport:
    """Check an annual scale-score file against the roster, then upsert it by (student,
    year, subject): a corrected file replaces the scores it repeats."""
    from sounding.store.store import bulk_write, count_rows
    from sounding.store.tables import imports, scale_scores

    t0 = time.perf_counter()
    notes: list[str] = []
    df, label, digest = _read(path, "scores", InvalidScores, notes,
                              student_ids=store.student_ids(), limits=limits)
    with store.begin() as conn:
        before = count_rows(store, conn)["scale_scores"]
        bulk_write(conn, scale_scores, df, on_conflict="update", key_cols=list(SCORE_KEY))
        after = count_rows(store, conn)["scale_scores"]
        conn.execute(imports.insert().values(kind="scores", file_name=label, sha256=digest,
                                             rows=len(df), imported_at=datetime.now()))
    report = ImportReport(kind="scores", source=str(path), rows={"scale_scores": len(df)},
                          written={"scale_scores": after - before},
                          counts={"scale_scores": after}, notes=notes)
    if len(df) - (after - before):
        report.notes.append(f"{len(df) - (after - before)} score(s) replaced stored scores "
                            "for the same student, year and subject")
    if len(df):
        years = sorted(df["year"].unique().tolist())
        report.notes.append(f"years {', '.join(map(str, years))}; "
                            f"{df['student_id'].nunique()} student(s)")
    report.seconds = time.perf_counter() - t0
    return report
