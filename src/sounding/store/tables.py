"""The database schema: SQLAlchemy Core tables, the same on SQLite and PostgreSQL.

Why these choices:

- Ids are strings everywhere (OneRoster ``sourcedId``\\s, grades such as ``"04"`` and ``"KG"``
  kept verbatim in ``grades``); a parsed integer grade (K = 0) sits beside them for queries.
- No foreign-key constraints: references are checked at the import boundary, across all files
  of one import, with line numbers (a constraint violation would name neither file nor line),
  and later layers write tables (mastery, interventions) that must not block a roster refresh.
- ``responses`` has a surrogate key plus a unique constraint on (student_id, item_id,
  timestamp, source) so that importing the same file twice adds nothing; ``source`` is
  ``""`` rather than NULL when absent, because NULLs never collide in a unique index.
- Every roster table keeps ``status``/``date_last_modified`` (OneRoster bookkeeping) and an
  ``extensions`` JSON text column with any ``metadata.*`` columns we do not map.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: Bump when the schema changes; ``Store.open`` records it and refuses newer databases. Each
#: change is also an Alembic revision in ``sounding/store/migrations/versions`` (version 2 is
#: the base revision, 3 added accounts, API tokens and the access log, 4 the diagnostic's
#: sessions and answers, 5 the stored views, web sessions, sign-in failures and mastery
#: snapshots, 6 the ids each stored view names).
SCHEMA_VERSION = 6

metadata = MetaData()


def _roster_columns() -> list[Column]:
    """Bookkeeping columns shared by every OneRoster table."""
    return [
        Column("status", String(16)),
        Column("date_last_modified", String(40)),
        Column("extensions", Text),
    ]


schema_info = Table(
    "schema_info", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

orgs = Table(
    "orgs", metadata,
    Column("org_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("type", String(32), nullable=False),
    Column("identifier", String),
    Column("parent_id", String, index=True),
    *_roster_columns(),
)

academic_sessions = Table(
    "academic_sessions", metadata,
    Column("session_id", String, primary_key=True),
    Column("title", String, nullable=False),
    Column("type", String(32), nullable=False),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("parent_id", String),
    Column("school_year", Integer),
    *_roster_columns(),
)

courses = Table(
    "courses", metadata,
    Column("course_id", String, primary_key=True),
    Column("title", String, nullable=False),
    Column("school_year_id", String),
    Column("course_code", String),
    Column("grades", String),
    Column("grade", SmallInteger),
    Column("org_id", String, index=True),
    Column("subjects", String),
    Column("subject_codes", String),
    *_roster_columns(),
)

classes = Table(
    "classes", metadata,
    Column("class_id", String, primary_key=True),
    Column("title", String, nullable=False),
    Column("grades", String),
    Column("grade", SmallInteger),
    Column("course_id", String, index=True),
    Column("class_code", String),
    Column("class_type", String(32)),
    Column("location", String),
    Column("school_id", String, index=True),
    Column("term_ids", String),
    Column("subjects", String),
    Column("subject_codes", String),
    Column("periods", String),
    *_roster_columns(),
)

users = Table(
    "users", metadata,
    Column("user_id", String, primary_key=True),
    Column("enabled_user", Boolean),
    Column("username", String),
    Column("user_ids", String),
    Column("given_name", String),
    Column("family_name", String),
    Column("middle_name", String),
    Column("identifier", String),
    Column("email", String),
    Column("agent_ids", String),
    Column("grades", String),
    Column("grade", SmallInteger),
    Column("primary_org_id", String, index=True),
    Column("org_ids", String),  # OneRoster 1.1 orgSourcedIds (comma list), else NULL
    Column("preferred_given_name", String),
    Column("preferred_family_name", String),
    Column("pronouns", String),
    *_roster_columns(),
)

roles = Table(
    "roles", metadata,
    Column("role_id", String, primary_key=True),
    Column("user_id", String, nullable=False, index=True),
    Column("role_type", String(16), nullable=False),
    Column("role", String(32), nullable=False),
    Column("org_id", String, nullable=False, index=True),
    Column("user_profile_id", String),
    Column("begin_date", Date),
    Column("end_date", Date),
    *_roster_columns(),
)

enrollments = Table(
    "enrollments", metadata,
    Column("enrollment_id", String, primary_key=True),
    Column("class_id", String, nullable=False, index=True),
    Column("school_id", String, nullable=False),
    Column("user_id", String, nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("primary", Boolean),
    Column("begin_date", Date),
    Column("end_date", Date),
    *_roster_columns(),
)

demographics = Table(
    "demographics", metadata,
    Column("user_id", String, primary_key=True),
    Column("birth_date", Date),
    Column("sex", String(16)),
    Column("american_indian_or_alaska_native", Boolean),
    Column("asian", Boolean),
    Column("black_or_african_american", Boolean),
    Column("native_hawaiian_or_other_pacific_islander", Boolean),
    Column("white", Boolean),
    Column("two_or_more_races", Boolean),
    Column("hispanic_or_latino", Boolean),
    Column("english_learner", Boolean),
    Column("disability", Boolean),
    Column("econ_disadvantaged", Boolean),
    Column("country_of_birth", String),
    Column("state_of_birth", String),
    Column("city_of_birth", String),
    Column("public_school_residence_status", String),
    *_roster_columns(),
)

responses = Table(
    "responses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student_id", String, nullable=False),
    Column("item_id", String, nullable=False),
    Column("standard", String, nullable=False, index=True),
    Column("correct", SmallInteger, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("source", String, nullable=False, default=""),
    # leading student_id: also serves lookups by student
    UniqueConstraint("student_id", "item_id", "timestamp", "source", name="uq_responses_key"),
)

scale_scores = Table(
    "scale_scores", metadata,
    Column("student_id", String, nullable=False),
    Column("year", Integer, nullable=False),
    Column("subject", String, nullable=False),
    Column("grade", SmallInteger, nullable=False),
    Column("scale_score", Float, nullable=False),
    Column("achievement_level", String),
    PrimaryKeyConstraint("student_id", "year", "subject"),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("file_name", String, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

#: Mastery estimates, packed one row per student and model: the standards (a shared set,
#: see ``mastery_standard_sets``) and, aligned with them, P(mastered) (float64), its posterior
#: sd (float32, NaN when unknown) and the number of direct answers (int32) as little-endian
#: arrays. A state has millions of students x ~290 standards: one SQL row per estimate made
#: reads and writes cost minutes per district; packed they are seconds. ``Store.mastery()``
#: gives the long (student, standard) table every consumer works on.
mastery = Table(
    "mastery", metadata,
    Column("student_id", String, nullable=False),
    Column("model", String, nullable=False),
    Column("standard_set", String(40), nullable=False),
    Column("n_standards", Integer, nullable=False),
    Column("p_mastered", LargeBinary, nullable=False),
    Column("sd", LargeBinary, nullable=False),
    Column("n_evidence", LargeBinary, nullable=False),
    Column("as_of", DateTime),
    PrimaryKeyConstraint("student_id", "model"),
    Index("ix_mastery_model", "model"),
)

#: The standards of packed mastery rows, in array order (``codes`` joined by newlines).
mastery_standard_sets = Table(
    "mastery_standard_sets", metadata,
    Column("id", String(40), primary_key=True),
    Column("codes", Text, nullable=False),
)

scope_sequence = Table(
    "scope_sequence", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("district_id", String, index=True),  # NULL: the default, for every district
    Column("grade", SmallInteger, nullable=False),
    Column("unit_id", String, nullable=False),
    Column("unit_title", String),
    Column("standard", String, nullable=False),
    Column("start_date", Date),
    Column("end_date", Date),
)

interventions = Table(
    "interventions", metadata,
    Column("id", String, primary_key=True),
    Column("student_id", String, nullable=False, index=True),
    Column("intervention", String, nullable=False),
    Column("standards", Text),  # comma-separated progression codes
    Column("start_date", Date),
    Column("end_date", Date),
    Column("minutes", Integer),
    Column("provider", String),
)

provider_assignments = Table(
    "provider_assignments", metadata,
    Column("provider_id", String, nullable=False),
    Column("school_id", String, nullable=False),
    PrimaryKeyConstraint("provider_id", "school_id"),
)

#: A district's own learning progression (CASE 1.1 JSON, as imported). At most one row is
#: active; with none, every layer uses the shipped Coherence Map.
frameworks = Table(
    "frameworks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String),
    Column("identifier", String),  # the CFDocument identifier
    Column("document", Text, nullable=False),  # the CASE JSON text
    Column("sha256", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

#: Family-connection signals a district supplies (contact attempts, conference attendance,
#: portal logins...): one row per student, signal and date; ``value`` is a number the
#: district defines (1/0 for yes/no). Planning reads them for system-level findings.
family_signals = Table(
    "family_signals", metadata,
    Column("student_id", String, nullable=False),
    Column("signal", String, nullable=False),
    Column("date", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("source", String, nullable=False, default=""),
    PrimaryKeyConstraint("student_id", "signal", "date", "source"),
)

#: People who may sign in (not the roster's users: a guardian or a state analyst need not be in
#: the roster). ``scopes`` is a JSON list of the org, school, class or student ids the role
#: covers (empty: taken from the roster through ``user_id``, or everything for admin/state).
#: Passwords are stored only as argon2id hashes.
accounts = Table(
    "accounts", metadata,
    Column("username", String, primary_key=True),
    Column("role", String(32), nullable=False),
    Column("scopes", Text, nullable=False, default="[]"),
    Column("user_id", String, index=True),  # the roster user (sourcedId) this account is
    Column("display_name", String),
    Column("password_hash", String),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

#: Bearer tokens for the API. Only the SHA-256 of a token is stored: a stolen database gives
#: no usable token (tokens are 256-bit random, so a fast hash is enough, unlike passwords).
api_tokens = Table(
    "api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String, nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

#: FERPA's record of access: every read of a student-level record by a signed-in principal.
access_log = Table(
    "access_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("username", String, nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),   # the service read, e.g. "student_view"
    Column("resource", String(32), nullable=False),  # student, class, school, ...
    Column("resource_id", String),
    Column("student_id", String, index=True),
)

#: The adaptive diagnostic (``sounding.diagnostic.durable``): one row per session and one per
#: answer, each answer committed before the next item is served, so a server killed mid-test
#: loses nothing acknowledged; the session is rebuilt from its answers. ``open_slot`` is 1
#: while the session runs and NULL after: the unique (student_id, open_slot) keeps one open
#: session per student even when two starts race (NULLs never collide).
diagnostic_sessions = Table(
    "diagnostic_sessions", metadata,
    Column("session_id", String(64), primary_key=True),
    Column("student_id", String, nullable=False, index=True),
    Column("grade", SmallInteger, nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("pending_item", String),
    Column("n_answered", Integer, nullable=False, default=0),
    Column("done", Boolean, nullable=False, default=False),
    Column("finished_at", String(40)),
    Column("open_slot", SmallInteger),
    Column("evidence_at", DateTime),  # when its results were written as evidence
    UniqueConstraint("student_id", "open_slot", name="uq_diagnostic_open_session"),
)

diagnostic_answers = Table(
    "diagnostic_answers", metadata,
    Column("session_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("item_id", String, nullable=False),
    Column("standard", String, nullable=False),
    Column("response", String(200), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("answered_at", String(40), nullable=False),
    PrimaryKeyConstraint("session_id", "position"),
)

#: Views computed when mastery or the plan is computed (``sounding.services.stored``): one
#: JSON document per (kind, object, variant) -- a class's heat map, a student's iceberg, a
#: class plan -- as the local operator sees it, with the version of the inputs it was made
#: from. The services read it, check the version, and redact it to the principal, so a page
#: costs a key lookup instead of seconds of CPU; a missing or stale one is recomputed.
stored_views = Table(
    "stored_views", metadata,
    Column("kind", String(32), nullable=False),
    Column("object_id", String, nullable=False),
    Column("variant", String(120), nullable=False, default=""),  # model and parameters
    Column("version", String(64), nullable=False),  # of the inputs (see stored.py)
    Column("computed_at", DateTime, nullable=False),
    Column("payload", Text, nullable=False),
    # the ids the payload names, by kind, and the students a read of it logs (JSON; see
    # stored.py): a page checks them against the reader's scope instead of walking the
    # payload (schema 6; NULL in rows stored before, which are walked)
    Column("named_ids", Text, nullable=True),
    PrimaryKeyConstraint("kind", "object_id", "variant"),
)

#: The web app's sessions, shared by every worker process. Only the SHA-256 of the random
#: session id is stored (the cookie carries the signed id), like the API tokens.
web_sessions = Table(
    "web_sessions", metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("username", String, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
)

#: Failed sign-ins (per user name and per client address), for throttling across workers.
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False, index=True),
    Column("at", DateTime, nullable=False),
)

#: P(mastered) per student and standard at a date (packed like ``mastery``): one row per
#: student each time the views are stored after a fit (``persist_views``), so a class's
#: share mastered can be drawn over time.
mastery_snapshots = Table(
    "mastery_snapshots", metadata,
    Column("student_id", String, nullable=False),
    Column("model", String, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("standard_set", String(40), nullable=False),
    Column("n_standards", Integer, nullable=False),
    Column("p_mastered", LargeBinary, nullable=False),
    PrimaryKeyConstraint("student_id", "model", "as_of"),
)

#: The tables ``Store.counts`` reports, in the order people think of them.
COUNTED_TABLES = (
    "orgs", "academic_sessions", "courses", "classes", "users", "roles", "enrollments",
    "demographics", "responses", "scale_scores", "mastery", "scope_sequence", "interventions",
    "provider_assignments", "family_signals", "frameworks", "imports",
)
