"""What makes class and student pages cheap, checked for what it must not change: the
access log (queued, written in batches, nothing lost on a clean shutdown), the warm-up
before the first request, and pages that read their stored views in one query."""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa
from fastapi.testclient import TestClient

from sounding.access import Principal, Role
from sounding.access.log import AccessLogWriter, read_log, record, use_writer
from sounding.store import Store
from sounding.store import tables as T
from tests.web.conftest import sign_in


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(T.access_log)).scalar()


def test_queued_access_log_rows_are_all_written_by_flush_and_close(store_copy):
    store = Store.open(store_copy)
    who = Principal("t", Role.teacher, user_id="x")
    writer = AccessLogWriter(store, interval=3600)  # no timed batch during the test
    use_writer(store, writer)
    try:
        before = _rows(store)
        assert record(store, who, "read", "student", "s1", ["a", "b"]) == 2
        assert writer.pending == 2 and _rows(store) == before  # queued, not yet written
        assert len(read_log(store, username="t")) == 2  # reading the log flushes first
        assert writer.pending == 0 and _rows(store) == before + 2

        def many(k: int) -> None:
            for i in range(50):
                record(store, who, "read", "student", None, [f"s{k}-{i}"])

        threads = [threading.Thread(target=many, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        writer.close()  # a clean shutdown writes everything acknowledged
        assert _rows(store) == before + 2 + 400
        record(store, who, "read", "student", None, ["late"])  # after close: at once
        assert _rows(store) == before + 403
    finally:
        use_writer(store, None)
        writer.close()
        store.close()


def test_the_background_writer_flushes_on_its_own(store_copy):
    store = Store.open(store_copy)
    writer = AccessLogWriter(store, interval=0.05)
    use_writer(store, writer)
    try:
        before = _rows(store)
        record(store, Principal("t", Role.teacher, user_id="x"), "read", "student", None, ["a"])
        done = threading.Event()
        for _ in range(100):
            if _rows(store) == before + 1:
                done.set()
                break
            done.wait(0.05)
        assert done.is_set(), "the background thread never wrote the queued row"
    finally:
        writer.close()
        store.close()


def test_served_app_warms_up_and_writes_the_log_at_shutdown(store_copy, shapes):
    from sounding.web import create_app

    app = create_app(store_copy, secret="s")
    store = app.state.store
    app.state.access_log.interval = 3600  # only shutdown writes; no timed batch meanwhile
    before = _rows(store)
    with TestClient(app, base_url="http://127.0.0.1") as c:  # runs start-up and shut-down
        assert {"graph", "roster", "inputs_version:graph"} <= set(app.state.warm)
        assert app.state.cache.get("roster")[0]  # the first page finds the roster made
        sign_in(c, "teacher1")
        page = c.get(f"/classes/{shapes['c1']}")
        assert page.status_code == 200
        student = re.search(r'href="/students/([^"/]+)"', page.text).group(1)
        assert c.get(f"/students/{student}").status_code == 200
    assert _rows(store) > before  # written when the app shut down
    assert app.state.access_log.pending == 0


def test_parsed_views_are_shared_by_requests_and_never_changed(store_copy, shapes):
    """The worker keeps parsed stored views for every request; a service that returns
    less of one (a student page's first 3 'ready to learn', a class's progress without its
    members) returns a copy, so the next request still gets all of it."""
    from sounding import services as S
    from sounding.services import Context, stored
    from sounding.web.cache import RequestCache, SharedCache
    from tests.services.conftest import principal

    with Store.open(store_copy) as store:
        stored.persist_views(store)
        app_cache = SharedCache()
        who = principal(store, "teacher1")

        def ctx() -> Context:
            return Context(store, who, cache=RequestCache(app_cache, who))

        view = S.class_view(ctx(), shapes["c1"])
        sid = view["students"][0]["student_id"]
        short = S.student_view(ctx(), sid, n_ready=1, n_unfinished=1)
        full = S.student_view(ctx(), sid, n_ready=8)
        assert len(short["ready_to_learn"]) <= 1 and len(short["unfinished"]) <= 1
        assert len(full["ready_to_learn"]) > len(short["ready_to_learn"]) or \
            len(full["unfinished"]) > len(short["unfinished"])
        assert full == S.student_view(Context(store, who), sid, n_ready=8)  # not shared
        for fn in (S.class_progress, S.class_mastery_progress):
            first, second = fn(ctx(), shapes["c1"]), fn(ctx(), shapes["c1"])
            assert first == second and "_members" not in first
        assert len(app_cache.stored_entries._data) >= 4  # served from the shared entries
        assert S.class_view(ctx(), shapes["c1"]) is S.class_view(ctx(), shapes["c1"])


def test_the_shared_cache_drops_entries_past_their_time():
    """A long-running worker does not keep every principal's results and scope forever."""
    import time

    from sounding.web.cache import SharedCache

    cache = SharedCache(ttl=0.01)
    cache.put("result|old", 1)
    time.sleep(0.02)
    cache._purged -= 120  # the next put sweeps
    cache.put("roster", 2)
    assert "result|old" not in cache._data and cache.get("roster") == (True, 2)
