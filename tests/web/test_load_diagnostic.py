"""The kill -9 load test, small: 20 simulated students take the diagnostic at once through the
API of a real ``sounding serve`` subprocess, which is killed with SIGKILL once mid-run and
restarted. Nothing acknowledged may be lost and every session must finish (the full run, 1,000
students, is in ``make bench``: bench/load_diagnostic.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("load_diagnostic",
                                                  ROOT / "bench" / "load_diagnostic.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["load_diagnostic"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def test_twenty_students_through_a_kill_9_lose_nothing(tmp_path):
    load = _load()
    out = load.run(students=20, seed=1, timeout=240, kill_at=0.4, workdir=str(tmp_path / "w"))
    assert out["server_starts"] == 2 and out["killed_after_acked"] > 0
    assert out["answers_acknowledged"] > out["killed_after_acked"]  # the run went on after
    assert out["acknowledged_answers_lost"] == 0, out["lost_examples"]
    assert out["every_session_completed"] and out["n_client_failures"] == 0, out
    assert out["students_with_more_than_one_session"] == 0
    assert out["evidence_pending"] == 0 and out["evidence_matches_answers"], out
    assert out["ok"]
    # the check is not vacuous: an acknowledged answer missing from the store is reported
    stats = load.Stats()
    stats.acked[("no-such-session", 0)] = "some-item~1"
    assert load.check_store(out["workdir"] + "/load.db", stats, [])[
        "acknowledged_answers_lost"] == 1
