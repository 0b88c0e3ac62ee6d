"""The store: one SQLite file by default, PostgreSQL by URL, the same API on both.

    from sounding.store import Store
    with Store.open("sounding.db") as store:           # or "postgresql://user@host/db"
        students = store.students()                     # pandas DataFrames out
        store.write_mastery(df, model="bkt")            # DataFrames in, one transaction

Why it looks like this:

- Reads return pandas DataFrames because every consumer (mastery, planning, growth, reports)
  works on whole tables; the SQL stays here.
- Bulk writes bypass SQLAlchemy's per-row type processing: values are encoded once,
  vectorised, to plain str/int/float (dates and timestamps as canonical ISO text), then sent
  with the driver's ``executemany`` on SQLite or ``COPY`` into a staging table on
  PostgreSQL, inside the caller's single transaction. That keeps millions of responses
  at seconds, not minutes, and a failed import leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from sounding.errors import InvalidInput, NotFound, SoundingError
from sounding.progression import StandardsGraph, from_case, load_default
from sounding.store import tables as T

OnConflict = Literal["error", "ignore", "update"]

#: Rows per driver call: big enough to amortise the round trip, small enough for memory.
BATCH_ROWS = 50_000
# SQLite's default limit on bound variables is 32766 (3.32+); stay well below it for IN lists.
_IN_CHUNK = 900

_RACE_COLUMNS = ["american_indian_or_alaska_native", "asian", "black_or_african_american",
                 "native_hawaiian_or_other_pacific_islander", "white", "two_or_more_races",
                 "hispanic_or_latino"]


def normalize_url(url_or_path: str | os.PathLike[str]) -> str:
    """A database URL from a plain path, ``sqlite:///...`` or ``postgresql://...``.

    ``postgresql://`` means psycopg 3 (the driver we ship with), not SQLAlchemy's default
    psycopg2, which is not installed.
    """
    text = os.fspath(url_or_path)
    if not text:
        raise InvalidInput("no database given (use a file path or a postgresql:// URL)")
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith("postgresql+"):
        return text
    if text.startswith("sqlite:"):
        return text
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise InvalidInput(f"unsupported database URL {text!r}: use a file path, "
                           "sqlite:///path or postgresql://user@host/db")
    path = Path(text).expanduser()
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a database file such as {path}/sounding.db")
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist (for database {path})")
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers (the web app) run while an import writes; NORMAL sync is safe in WAL."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-131072")  # up to 128 MB: big imports touch many pages
    cur.close()


class Store:
    """A Sounding database: the roster, the evidence, and what later layers compute."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- opening and closing
    @classmethod
    def open(cls, url_or_path: str | os.PathLike[str] = "sounding.db", *,
             migrate: bool = True) -> Store:
        """Open (creating if missing) the database at a path or URL and its tables.

        A new database is created at the newest schema; an existing one is brought to it in
        place (Alembic migrations, :mod:`sounding.store.migrations`) unless ``migrate`` is
        False (``sounding db upgrade`` opens that way to report the revision it started from).

        :param url_or_path: ``sounding.db``, ``sqlite:///abs/path.db``, ``postgresql://...``
            or ``postgresql+psycopg://...``.
        """
        url = normalize_url(url_or_path)
        try:
            if url.startswith("sqlite"):
                engine = sa.create_engine(url)
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True)
            store = cls(engine)
            store._create_schema(migrate=migrate)
        except sa.exc.OperationalError as exc:
            raise SoundingError(f"cannot open database {_safe_url(url)}: "
                                f"{str(exc.orig).strip().splitlines()[0]}") from exc
        except ModuleNotFoundError as exc:
            raise SoundingError(f"cannot open database {_safe_url(url)}: driver {exc.name} "
                                "is not installed (pip install 'sounding[postgres]')") from exc
        return store

    @classmethod
    def lazy(cls, url_or_path: str | os.PathLike[str] = "sounding.db") -> Store:
        """A store opened on first use: a command that may not need the database (the local
        operator's, whose planning inputs are read in one go) creates no file by asking."""
        return LazyStore(url_or_path)

    def _create_schema(self, *, migrate: bool = True) -> None:
        from sounding.store import migrations as M

        inspector = sa.inspect(self.engine)
        if not inspector.has_table("schema_info"):  # a new database: straight to head
            T.metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                conn.execute(T.schema_info.insert().values(
                    version=T.SCHEMA_VERSION, applied_at=dt.datetime.now()))
                _stamp(conn, M.HEAD)
            return
        with self.engine.connect() as conn:
            version = conn.execute(sa.select(sa.func.max(T.schema_info.c.version))).scalar()
            revision = M.current_revision(conn)
        if (version is not None and version > T.SCHEMA_VERSION) or (
                revision is not None and revision not in M.SCHEMA_VERSIONS):
            raise SoundingError(
                f"database schema version {version} ({revision or 'no revision'}) is newer than "
                f"this Sounding ({T.SCHEMA_VERSION}); upgrade Sounding to open it")
        if revision is None:  # from before migrations: complete the base schema, stamp it
            if version == 1 and inspector.has_table("mastery") and "standard" in {
                    c["name"] for c in inspector.get_columns("mastery")}:
                # Version 2 packs mastery per student. Estimates are derived data (``sounding
                # mastery fit`` remakes them from the stored evidence), so the old table goes.
                with self.engine.begin() as conn:
                    conn.execute(sa.text("DROP TABLE mastery"))
            later = {name for names in M.ADDED_BY.values() for name in names}
            with self.engine.begin() as conn:
                T.metadata.create_all(conn, tables=[t for t in T.metadata.sorted_tables
                                                    if t.name not in later])
                if version is None or version < M.SCHEMA_VERSIONS[M.BASE]:
                    conn.execute(T.schema_info.insert().values(
                        version=M.SCHEMA_VERSIONS[M.BASE], applied_at=dt.datetime.now()))
                _stamp(conn, M.BASE)
            revision = M.BASE
        if migrate:
            if revision != M.HEAD:
                self.migrate()
            T.metadata.create_all(self.engine)  # tables added without a revision yet

    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: from before migrations)."""
        from sounding.store.migrations import current_revision

        with self.engine.connect() as conn:
            return current_revision(conn)

    def migrate(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision``, in one transaction."""
        from sounding.store.migrations import upgrade_connection

        with self.engine.begin() as conn:
            upgrade_connection(conn, revision)

    def close(self) -> None:
        """Release every connection (the file stays)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({_safe_url(str(self.engine.url))!r})"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(T.schema_info.c.version))).scalar())

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything written through the connection commits or none does."""
        with self.engine.begin() as conn:
            yield conn

    # ---------------------------------------------------------------- reads
    def _frame(self, stmt: sa.Select, conn: Connection | None = None) -> pd.DataFrame:
        if conn is not None:
            return pd.read_sql(stmt, conn)
        with self.engine.connect() as c:
            return pd.read_sql(stmt, c)

    def orgs(self) -> pd.DataFrame:
        """Organisations: org_id, name, type, identifier, parent_id (state > district > school)."""
        o = T.orgs.c
        return self._frame(sa.select(o.org_id, o.name, o.type, o.identifier, o.parent_id,
                                     o.status).where(_active(o.status)).order_by(o.org_id))

    def students(self) -> pd.DataFrame:
        """One row per student with grade (int, K=0), school_id, district_id and demographics.

        A student is a user holding the ``student`` role (OneRoster 1.2 roles.csv, or the 1.1
        ``role`` column). The school is the user's primary org when it is a school, else the
        org of their primary student role; the district is that school's nearest ancestor of
        type district.
        """
        u, r, d = T.users.c, T.roles.c, T.demographics.c
        with self.engine.connect() as conn:
            users = pd.read_sql(
                sa.select(u.user_id.label("student_id"), u.given_name, u.family_name,
                          u.identifier, u.grades, u.grade, u.primary_org_id)
                .where(_active(u.status))
                .where(u.user_id.in_(sa.select(r.user_id).where(r.role == "student")
                                     .where(_active(r.status))))
                .order_by(u.user_id), conn)
            role_orgs = pd.read_sql(
                sa.select(r.user_id, r.org_id, r.role_type).where(r.role == "student")
                .where(_active(r.status)), conn)
            demo = pd.read_sql(
                sa.select(d.user_id.label("student_id"), d.birth_date, d.sex,
                          *[d[c] for c in _RACE_COLUMNS], d.english_learner, d.disability,
                          d.econ_disadvantaged), conn)
            orgs = pd.read_sql(sa.select(T.orgs.c.org_id, T.orgs.c.type, T.orgs.c.parent_id),
                               conn)
        org_type = dict(zip(orgs["org_id"], orgs["type"], strict=True))
        parent = dict(zip(orgs["org_id"], orgs["parent_id"], strict=True))
        # school: primary org if it is a school, else the (primary first) student-role org
        role_orgs = role_orgs[role_orgs["org_id"].map(org_type).eq("school")]
        role_orgs = role_orgs.sort_values(["user_id", "role_type"], kind="stable")
        role_school = role_orgs.drop_duplicates("user_id").set_index("user_id")["org_id"]
        primary_is_school = users["primary_org_id"].map(org_type).eq("school")
        school = users["primary_org_id"].where(primary_is_school,
                                               users["student_id"].map(role_school))
        users = users.drop(columns=["primary_org_id"])
        users["school_id"] = school.astype(object).where(school.notna(), None)
        district_of = {org: _ancestor_of_type(org, "district", org_type, parent)
                       for org in set(users["school_id"].dropna())}
        users["district_id"] = users["school_id"].map(district_of)
        users["grade"] = users["grade"].astype("Int64")
        out = users.merge(demo, on="student_id", how="left")
        out["birth_date"] = pd.to_datetime(out["birth_date"])
        for c in [*_RACE_COLUMNS, "english_learner", "disability", "econ_disadvantaged"]:
            out[c] = out[c].astype("boolean")
        return out.reset_index(drop=True)

    def student_ids(self) -> set[str]:
        """Ids of every user holding the student role (what evidence may refer to)."""
        r = T.roles.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(r.user_id).where(r.role == "student")
                                .where(_active(r.status)).distinct())
            return {row[0] for row in rows}

    def classes(self) -> pd.DataFrame:
        """Classes: class_id, title, school_id, grade (int, K=0), course_id, teacher_ids.

        ``teacher_ids`` is a sorted list of the users enrolled with role ``teacher``
        (primary teachers first), empty when the class has none.
        """
        c, e = T.classes.c, T.enrollments.c
        with self.engine.connect() as conn:
            classes = pd.read_sql(
                sa.select(c.class_id, c.title, c.school_id, c.grade, c.grades, c.course_id,
                          c.class_code, c.term_ids).where(_active(c.status))
                .order_by(c.class_id), conn)
            teachers = pd.read_sql(
                sa.select(e.class_id, e.user_id, e.primary).where(e.role == "teacher")
                .where(_active(e.status)), conn)
        teachers["rank"] = np.where(teachers["primary"].fillna(False).astype(bool), 0, 1)
        teachers = teachers.sort_values(["class_id", "rank", "user_id"], kind="stable")
        lists = teachers.groupby("class_id", sort=False)["user_id"].agg(list)
        classes["grade"] = classes["grade"].astype("Int64")
        classes["teacher_ids"] = [lists.get(k, []) for k in classes["class_id"]]
        return classes

    def enrollments(self) -> pd.DataFrame:
        """Enrollments: enrollment_id, class_id, school_id, user_id, role, primary, dates."""
        e = T.enrollments.c
        df = self._frame(sa.select(e.enrollment_id, e.class_id, e.school_id, e.user_id, e.role,
                                   e.primary, e.begin_date, e.end_date)
                         .where(_active(e.status)).order_by(e.class_id, e.user_id))
        df["primary"] = df["primary"].astype("boolean")
        for col in ("begin_date", "end_date"):
            df[col] = pd.to_datetime(df[col])
        return df

    def responses(self, student_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Item responses sorted by student, then time: student_id, item_id, standard,
        correct (int8 0/1), timestamp (datetime64), source.

        :param student_ids: only these students (any iterable of ids); None for all.
        """
        r = T.responses.c
        cols = [r.student_id, r.item_id, r.standard, r.correct,
                sa.type_coerce(r.timestamp, sa.String).label("timestamp"), r.source]
        names = ["student_id", "item_id", "standard", "correct", "timestamp", "source"]
        with self.engine.connect() as conn:
            if student_ids is None:
                rows = _raw_rows(conn, sa.select(*cols))
            else:
                ids = sorted(set(student_ids))
                rows = []
                for i in range(0, len(ids), _IN_CHUNK):
                    rows += _raw_rows(conn, sa.select(*cols).where(
                        r.student_id.in_(ids[i:i + _IN_CHUNK])))
        df = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(
            {c: pd.Series(dtype="str") for c in names})
        df["correct"] = df["correct"].astype("int8")
        df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601")
        df = df.sort_values(["student_id", "timestamp", "item_id"], kind="stable")
        return df.reset_index(drop=True)

    def scores(self) -> pd.DataFrame:
        """Annual scale scores: student_id, year, grade, subject, scale_score,
        achievement_level."""
        s = T.scale_scores.c
        df = self._frame(sa.select(s.student_id, s.year, s.grade, s.subject, s.scale_score,
                                   s.achievement_level)
                         .order_by(s.student_id, s.year, s.subject))
        df["year"] = df["year"].astype("int64")
        df["grade"] = df["grade"].astype("int64")
        df["scale_score"] = df["scale_score"].astype("float64")
        return df

    def mastery(self, model: str | None = None,
                student_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Mastery estimates, one row per student and standard: student_id, standard,
        p_mastered, sd, n_evidence, model, as_of; sorted by model, student, standard.

        :param student_ids: only these students (for paging through a state); None for all.
        """
        m = T.mastery.c
        stmt = sa.select(m.student_id, m.model, m.standard_set, m.n_standards, m.p_mastered,
                         m.sd, m.n_evidence,
                         sa.type_coerce(m.as_of, sa.String).label("as_of"))
        if model is not None:
            stmt = stmt.where(m.model == model)
        with self.engine.connect() as conn:
            if student_ids is None:
                rows = _raw_rows(conn, stmt)
            else:
                ids = sorted(set(map(str, student_ids)))
                rows = []
                for i in range(0, len(ids), _IN_CHUNK):
                    rows += _raw_rows(conn, stmt.where(m.student_id.in_(ids[i:i + _IN_CHUNK])))
            sets = {k: np.array(v.split("\n"), dtype=object) for k, v in conn.execute(
                sa.select(T.mastery_standard_sets.c.id, T.mastery_standard_sets.c.codes))}
        return _unpack_mastery(rows, sets)

    def framework(self) -> dict[str, Any] | None:
        """The active district framework as CASE 1.1 JSON (a dict), or None for the default."""
        f = T.frameworks.c
        with self.engine.connect() as conn:
            doc = conn.execute(sa.select(f.document).where(f.active.is_(True))
                               .order_by(f.id.desc()).limit(1)).scalar()
        return None if doc is None else json.loads(doc)

    def progression(self) -> StandardsGraph:
        """The learning progression this district works on: its imported CASE framework, or
        the shipped Coherence Map. Every layer that reads a store should get the graph here,
        so that a district's own framework is used end to end."""
        doc = self.framework()
        sha = None if doc is None else hashlib.sha256(
            json.dumps(doc, sort_keys=True).encode()).hexdigest()
        cached = getattr(self, "_progression_cache", None)
        if cached is not None and cached[0] == sha:
            return cached[1]
        graph = load_default() if doc is None else from_case(doc, source="the stored framework")
        self._progression_cache = (sha, graph)
        return graph

    def write_framework(self, document: dict[str, Any], *, file_name: str = "") -> StandardsGraph:
        """Make ``document`` (CASE 1.1 JSON, already parsed) the district's framework.

        It is validated first (a DAG whose edges never go to an earlier grade); a rejected
        framework changes nothing. Importing the same document again adds nothing.
        """
        graph = from_case(document, source=file_name or "<case>")
        text = json.dumps(document, sort_keys=True)
        sha = hashlib.sha256(text.encode()).hexdigest()
        f = T.frameworks.c
        cf = document.get("CFDocument", {}) if isinstance(document, dict) else {}
        with self.begin() as conn:
            current = conn.execute(sa.select(f.sha256).where(f.active.is_(True))).scalar()
            if current != sha:
                conn.execute(T.frameworks.update().values(active=False))
                conn.execute(T.frameworks.insert().values(
                    title=cf.get("title"), identifier=cf.get("identifier"), document=text,
                    sha256=sha, active=True, imported_at=dt.datetime.now()))
            conn.execute(T.imports.insert().values(
                kind="framework", file_name=file_name or "<case>", sha256=sha,
                rows=len(graph), imported_at=dt.datetime.now()))
        return graph

    def log_import(self, kind: str, path: str | os.PathLike[str], rows: int) -> None:
        """Record an accepted import (kind, file name, SHA-256 of the file, rows) in the
        import log, as every importer does."""
        p = Path(path)
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        with self.begin() as conn:
            conn.execute(T.imports.insert().values(kind=kind, file_name=p.name, sha256=digest,
                                                   rows=int(rows),
                                                   imported_at=dt.datetime.now()))

    def reset_framework(self) -> None:
        """Go back to the shipped Coherence Map (imported frameworks stay, inactive)."""
        with self.begin() as conn:
            conn.execute(T.frameworks.update().values(active=False))

    def table(self, name: str) -> pd.DataFrame:
        """Any table as stored (for later layers and debugging)."""
        return self._frame(sa.select(_table(name)))

    def counts(self) -> dict[str, int]:
        """Rows per table, e.g. ``{"users": 5400, "responses": 2_000_000, ...}``."""
        return count_rows(self, None)

    def imports(self) -> pd.DataFrame:
        """The import log: kind, file_name, sha256, rows, imported_at (oldest first)."""
        i = T.imports.c
        return self._frame(sa.select(i.kind, i.file_name, i.sha256, i.rows, i.imported_at)
                           .order_by(i.id))

    # ---------------------------------------------------------------- writes
    def write_mastery(self, df: pd.DataFrame | Iterable[pd.DataFrame], model: str) -> int:
        """Replace every row of ``model`` with ``df`` (student_id, standard, p_mastered,
        n_evidence, as_of optional), atomically: readers see the old or the new set.

        ``df`` may be an iterable of frames (chunks of students), written in the same single
        transaction, so a state's millions of students stream through in bounded memory.

        Returns the number of rows written.
        """
        if not model:
            raise InvalidInput("write_mastery needs a model name")
        chunks = [df] if isinstance(df, pd.DataFrame) else df
        stamp = pd.Timestamp.now().floor("s")
        written = 0
        with self.begin() as conn:
            conn.execute(T.mastery.delete().where(T.mastery.c.model == model))
            known = {r[0] for r in conn.execute(sa.select(T.mastery_standard_sets.c.id))}
            for chunk in chunks:
                rows, sets = _pack_mastery(chunk, model, stamp)
                new_sets = [{"id": k, "codes": v} for k, v in sets.items() if k not in known]
                if new_sets:
                    conn.execute(T.mastery_standard_sets.insert(), new_sets)
                    known.update(sets)
                for i in range(0, len(rows), _PACKED_BATCH):
                    try:
                        conn.execute(T.mastery.insert(), rows[i:i + _PACKED_BATCH])
                    except sa.exc.IntegrityError:
                        raise InvalidInput(
                            "cannot write mastery: a student appears in more than one chunk "
                            "(chunks must hold whole students)") from None
                written += int(sum(r["n_standards"] for r in rows))
        return written

    def replace_rows(self, table: str, df: pd.DataFrame, key_cols: Sequence[str] = ()) -> int:
        """Replace the partition of ``table`` that ``df`` covers, in one transaction.

        Rows whose ``key_cols`` values appear in ``df`` are deleted, then ``df`` is inserted;
        with no key columns the whole table is replaced. E.g.
        ``replace_rows("scope_sequence", df, ["district_id"])`` swaps one district's plan.
        Returns the number of rows written.
        """
        tbl = _table(table)
        missing = [k for k in key_cols if k not in tbl.c]
        if missing:
            raise InvalidInput(f"{table} has no column(s) {', '.join(missing)}")
        with self.begin() as conn:
            if not key_cols:
                conn.execute(tbl.delete())
            else:
                keys = df[list(key_cols)].drop_duplicates()
                keys = keys.astype(object).where(keys.notna(), None)
                tuples = [tuple(k) for k in keys.itertuples(index=False, name=None)]
                for i in range(0, len(tuples), _IN_CHUNK // max(1, len(key_cols))):
                    chunk = tuples[i:i + _IN_CHUNK // max(1, len(key_cols))]
                    conn.execute(tbl.delete().where(_keys_match(tbl, key_cols, chunk)))
            return bulk_write(conn, tbl, df)


class LazyStore(Store):
    """A :class:`Store` whose database is opened (``Store.open``) on first use."""

    def __init__(self, url_or_path: str | os.PathLike[str]) -> None:  # noqa: D107
        self._target = url_or_path
        self._store: Store | None = None

    @property
    def engine(self) -> Engine:  # type: ignore[override]
        if self._store is None:
            self._store = Store.open(self._target)
        return self._store.engine

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        return f"Store.lazy({self._target!r})"


def upgrade_database(url_or_path: str | os.PathLike[str]) -> tuple[str | None, str]:
    """Bring the database at ``url_or_path`` to the newest schema in place (``sounding db
    upgrade``); returns (revision before, revision after).

    A database older than migrations (schema_info version 1 or 2, no ``alembic_version``) is
    first completed to the base schema and stamped as base, as ``Store.open`` does; a new
    one is created at head.
    """
    from sounding.store.migrations import HEAD

    with Store.open(url_or_path, migrate=False) as store:
        before = store.revision()
        store.migrate()
        T.metadata.create_all(store.engine)
        return before, store.revision() or HEAD


# ---------------------------------------------------------------------- helpers


def _stamp(conn: Connection, revision: str) -> None:
    """Write Alembic's version row directly (the table as Alembic makes it): a database made
    at head needs no migration run, and opening it need not import Alembic."""
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) "
                         "NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    conn.exec_driver_sql("DELETE FROM alembic_version")
    conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                 {"v": revision})


def _raw_rows(conn: Connection, stmt: sa.Select) -> list[tuple]:
    """Rows straight from the driver's cursor, skipping SQLAlchemy's per-row processing.

    Only for selects whose columns need no result processing (text, integers, and
    timestamps cast to text): it is 2-3 times faster on millions of rows.
    """
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


#: Packed mastery rows per INSERT (each a few KB).
_PACKED_BATCH = 2_000


def _pack_mastery(df: pd.DataFrame, model: str, stamp: pd.Timestamp
                  ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Long (student, standard) estimates -> one packed row per student, and the standard
    sets they use (id -> newline-joined codes)."""
    need = [c for c in ("student_id", "standard", "p_mastered") if c not in df]
    if need:
        raise InvalidInput(f"cannot write mastery: missing column(s) {', '.join(need)}")
    if not len(df):
        return [], {}
    p = pd.to_numeric(df["p_mastered"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInput(f"cannot write mastery: p_mastered of student "
                           f"{df['student_id'].iloc[i]!s}, standard {df['standard'].iloc[i]!s} "
                           "is not a probability")
    sd = (pd.to_numeric(df["sd"], errors="coerce").to_numpy(dtype="float32")
          if "sd" in df else np.full(len(df), np.nan, dtype="float32"))
    n = (pd.to_numeric(df["n_evidence"], errors="coerce").fillna(0).to_numpy(dtype="int32")
         if "n_evidence" in df else np.zeros(len(df), dtype="int32"))
    as_of = (pd.to_datetime(df["as_of"]) if "as_of" in df
             else pd.Series(stamp, index=df.index))
    # integer codes (hash-factorised, uniques sorted) make the sort and the grouping cheap
    sid_code, sid_uniq = pd.factorize(df["student_id"].astype(str), sort=True)
    std_code, std_uniq = pd.factorize(df["standard"].astype(str), sort=True)
    std_uniq = np.asarray(std_uniq, dtype=object)
    sid_uniq = np.asarray(sid_uniq, dtype=object)
    order = np.lexsort((std_code, sid_code))
    sid_code, std_code = sid_code[order], std_code[order].astype(np.int32)
    p, sd, n = p[order], sd[order], n[order]
    as_of = as_of.to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, sid_code[1:] != sid_code[:-1]])
    ends = np.r_[starts[1:], len(sid_code)]
    dup = np.flatnonzero((sid_code[1:] == sid_code[:-1]) & (std_code[1:] == std_code[:-1]))
    if len(dup):
        raise InvalidInput(f"cannot write mastery: student {sid_uniq[sid_code[dup[0]]]} has "
                           f"standard {std_uniq[std_code[dup[0]]]} twice")
    rows: list[dict[str, Any]] = []
    sets: dict[str, str] = {}
    set_of: dict[bytes, str] = {}
    p_le, sd_le, n_le = p.astype("<f8"), sd.astype("<f4"), n.astype("<i4")
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        key = std_code[a:b].tobytes()
        set_id = set_of.get(key)
        if set_id is None:
            codes = "\n".join(std_uniq[std_code[a:b]])
            set_id = hashlib.sha1(codes.encode()).hexdigest()
            set_of[key] = set_id
            sets[set_id] = codes
        ts = as_of[a]
        rows.append({"student_id": sid_uniq[sid_code[a]], "model": model,
                     "standard_set": set_id, "n_standards": b - a,
                     "p_mastered": p_le[a:b].tobytes(), "sd": sd_le[a:b].tobytes(),
                     "n_evidence": n_le[a:b].tobytes(),
                     "as_of": None if pd.isna(ts) else pd.Timestamp(ts).to_pydatetime()})
    return rows, sets


def _unpack_mastery(rows: list[tuple], sets: dict[str, np.ndarray]) -> pd.DataFrame:
    """Packed rows (student_id, model, set, n, p, sd, n_evidence, as_of) -> the long table."""
    names = ["student_id", "standard", "p_mastered", "sd", "n_evidence", "model", "as_of"]
    if not rows:
        return pd.DataFrame({"student_id": pd.Series(dtype=str), "standard": pd.Series(dtype=str),
                             "p_mastered": pd.Series(dtype="float64"),
                             "sd": pd.Series(dtype="float64"),
                             "n_evidence": pd.Series(dtype="int64"),
                             "model": pd.Series(dtype=str),
                             "as_of": pd.Series(dtype="datetime64[us]")})[names]
    rows = sorted(rows, key=lambda r: (r[1], r[0]))
    lengths = np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows))
    std = np.concatenate([sets[r[2]] for r in rows])
    p = np.frombuffer(b"".join(bytes(r[4]) for r in rows), dtype="<f8").astype("float64")
    sd = np.frombuffer(b"".join(bytes(r[5]) for r in rows), dtype="<f4").astype("float64")
    n = np.frombuffer(b"".join(bytes(r[6]) for r in rows), dtype="<i4").astype("int64")
    as_of = pd.to_datetime(pd.Series([r[7] for r in rows], dtype=object), format="ISO8601")
    idx = np.repeat(np.arange(len(rows)), lengths)
    sid = np.array([r[0] for r in rows], dtype=object)
    model = np.array([r[1] for r in rows], dtype=object)
    df = pd.DataFrame({"student_id": pd.Series(sid[idx], dtype=str),
                       "standard": pd.Series(std, dtype=str),
                       "p_mastered": p, "sd": sd, "n_evidence": n,
                       "model": pd.Series(model[idx], dtype=str),
                       "as_of": as_of.to_numpy()[idx]})
    return df


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _active(status_col: sa.ColumnElement) -> sa.ColumnElement:
    """OneRoster rows marked tobedeleted are kept for the record but are not the roster."""
    return sa.or_(status_col.is_(None), status_col != "tobedeleted")


def _ancestor_of_type(org: str, kind: str, org_type: dict, parent: dict) -> str | None:
    seen: set[str] = set()
    cur: str | None = org
    while cur is not None and cur not in seen:
        if org_type.get(cur) == kind:
            return cur
        seen.add(cur)
        cur = parent.get(cur)
    return None


def _table(name: str) -> sa.Table:
    tbl = T.metadata.tables.get(name)
    if tbl is None:
        raise NotFound(f"no table {name!r}; tables: {', '.join(sorted(T.metadata.tables))}")
    return tbl


def _keys_match(tbl: sa.Table, key_cols: Sequence[str], keys: list[tuple]) -> sa.ColumnElement:
    if len(key_cols) == 1:
        col = tbl.c[key_cols[0]]
        values = [k[0] for k in keys]
        clauses = []
        if any(v is not None for v in values):
            clauses.append(col.in_([v for v in values if v is not None]))
        if any(v is None for v in values):
            clauses.append(col.is_(None))
        return sa.or_(*clauses)
    return sa.or_(*[sa.and_(*[(tbl.c[c].is_(None) if v is None else tbl.c[c] == v)
                              for c, v in zip(key_cols, k, strict=True)]) for k in keys])


def count_rows(store: Store, conn: Connection | None) -> dict[str, int]:
    """Rows per table (inside ``conn``'s transaction when given)."""
    def run(c: Connection) -> dict[str, int]:
        out = {}
        for name in T.COUNTED_TABLES:
            if name == "mastery":  # packed: count estimates (student x standard), not rows
                q = sa.select(sa.func.coalesce(sa.func.sum(T.mastery.c.n_standards), 0))
            else:
                q = sa.select(sa.func.count()).select_from(T.metadata.tables[name])
            out[name] = int(c.execute(q).scalar())
        return out
    if conn is not None:
        return run(conn)
    with store.engine.connect() as c:
        return run(c)


# ---------------------------------------------------------------------- bulk writing


def _encode_column(values: pd.Series, col: sa.Column) -> list:
    """One column as plain Python values the driver takes without conversion.

    Timestamps become ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite storage format, so
    the unique key of a response is the same text on every import), dates ``YYYY-MM-DD``,
    booleans 0/1, missing values None.
    """
    typ = col.type
    if isinstance(typ, sa.DateTime):
        ts = pd.to_datetime(values, format="ISO8601") if values.dtype == object else values
        if getattr(ts.dtype, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        arr = pa.array(ts.to_numpy(dtype="datetime64[us]"), type=pa.timestamp("us"),
                       from_pandas=True)
        return arr.cast(pa.string()).to_pylist()
    if isinstance(typ, sa.Date):
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            return [None if _isna(v) else str(v)[:10] for v in values.tolist()]
        ds = pd.to_datetime(values)
        arr = pa.array(ds.to_numpy(dtype="datetime64[D]"), type=pa.date32(), from_pandas=True)
        return arr.cast(pa.string()).to_pylist()
    if isinstance(typ, sa.Boolean):
        return [None if _isna(v) else int(bool(v)) for v in values.tolist()]
    if isinstance(typ, sa.Integer):
        if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
            return values.astype("int64").tolist()
        return [None if _isna(v) else int(v) for v in values.tolist()]
    if isinstance(typ, sa.Float):
        return [None if _isna(v) else float(v) for v in values.tolist()]
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        if not values.hasnans:
            return [str(v) for v in values.tolist()] if values.dtype == object \
                else values.tolist()
    return [None if _isna(v) else str(v) for v in values.tolist()]


def _isna(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def encode_frame(tbl: sa.Table, df: pd.DataFrame) -> tuple[list[str], list[tuple]]:
    """(columns, rows) for ``df``'s columns that ``tbl`` has; unknown columns are an error."""
    unknown = [c for c in df.columns if c not in tbl.c]
    if unknown:
        raise InvalidInput(f"table {tbl.name} has no column(s) {', '.join(map(str, unknown))}")
    cols = [c for c in df.columns if not (tbl.c[c].autoincrement is True and tbl.c[c].primary_key)]
    encoded = [_encode_column(df[c], tbl.c[c]) for c in cols]
    return cols, list(zip(*encoded, strict=True)) if cols else []


def bulk_write(conn: Connection, tbl: sa.Table, df: pd.DataFrame | None = None, *,
               columns: Sequence[str] | None = None, rows: Sequence[tuple] | None = None,
               on_conflict: OnConflict = "error", key_cols: Sequence[str] | None = None) -> int:
    """Insert many rows fast inside ``conn``'s transaction; returns the rows sent.

    Give either a DataFrame or already-encoded ``columns`` + ``rows`` (tuples of str, int,
    float or None; dates and timestamps as ISO text). ``on_conflict`` decides what a row whose
    key (``key_cols``, default the primary key) already exists does: raise, be skipped, or
    overwrite the stored row (upsert).
    """
    if df is not None:
        columns, rows = encode_frame(tbl, df)
    if columns is None or rows is None:
        raise ValueError("bulk_write needs a DataFrame or columns and rows")
    if not rows:
        return 0
    if key_cols is None:
        key_cols = [c.name for c in tbl.primary_key.columns]
    dbapi = conn.dialect.dbapi
    bad_data = (sa.exc.IntegrityError, sa.exc.DataError) + tuple(
        getattr(dbapi, name) for name in ("IntegrityError", "DataError") if hasattr(dbapi, name))
    try:
        if conn.dialect.name == "sqlite":
            _sqlite_write(conn, tbl, list(columns), rows, on_conflict, list(key_cols))
        elif conn.dialect.name == "postgresql":
            _postgres_write(conn, tbl, list(columns), rows, on_conflict, list(key_cols))
        else:  # any other backend: plain SQLAlchemy executemany (slower, always correct)
            dicts = [dict(zip(columns, r, strict=True)) for r in rows]
            for i in range(0, len(dicts), BATCH_ROWS):
                conn.execute(tbl.insert(), dicts[i:i + BATCH_ROWS])
    except bad_data as exc:
        # the same error on every backend (the caller's transaction is rolled back)
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InvalidInput(f"cannot write {tbl.name}: {detail}") from exc
    return len(rows)


def _conflict_clause(tbl: sa.Table, columns: list[str], on_conflict: OnConflict,
                     key_cols: list[str], excluded: str) -> str:
    q = _quote
    if on_conflict == "error":
        return ""
    target = "(" + ", ".join(q(c) for c in key_cols) + ")"
    updates = [c for c in columns if c not in key_cols]
    if on_conflict == "ignore" or not updates:
        return f" ON CONFLICT {target} DO NOTHING"
    sets = ", ".join(f"{q(c)} = {excluded}.{q(c)}" for c in updates)
    return f" ON CONFLICT {target} DO UPDATE SET {sets}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_write(conn: Connection, tbl: sa.Table, columns: list[str], rows: Sequence[tuple],
                  on_conflict: OnConflict, key_cols: list[str]) -> None:
    sql = (f"INSERT INTO {_quote(tbl.name)} ({', '.join(_quote(c) for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})"
           + _conflict_clause(tbl, columns, on_conflict, key_cols, "excluded"))
    for i in range(0, len(rows), BATCH_ROWS):
        conn.exec_driver_sql(sql, list(rows[i:i + BATCH_ROWS]))


def _postgres_write(conn: Connection, tbl: sa.Table, columns: list[str], rows: Sequence[tuple],
                    on_conflict: OnConflict, key_cols: list[str]) -> None:
    """COPY into a temporary staging table, then one INSERT ... SELECT with ON CONFLICT."""
    stage = f"_stage_{tbl.name}_{uuid.uuid4().hex[:8]}"
    cols = ", ".join(_quote(c) for c in columns)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} (LIKE {_quote(tbl.name)} INCLUDING DEFAULTS) "
        "ON COMMIT DROP")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.exec_driver_sql(
        f"INSERT INTO {_quote(tbl.name)} ({cols}) SELECT {cols} FROM {stage}"
        + _conflict_clause(tbl, columns, on_conflict, key_cols, "EXCLUDED"))
    conn.exec_driver_sql(f"DROP TABLE {stage}")
