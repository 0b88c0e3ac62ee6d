"""Simulator throughput: students per second and peak memory, streaming to disk by schools."""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sounding.simulate import DistrictSpec, simulate_to_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="*", default=[2_000, 200_000])
    ap.add_argument("--chunk", type=int, default=50_000)
    args = ap.parse_args()
    print(
        f"{'students':>10} {'seconds':>8} {'students/s':>11} {'peak RSS MB':>12} {'output MB':>10}"
    )
    for n in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            simulate_to_dir(
                DistrictSpec(n_students=n, seed=1), Path(tmp), chunk_students=args.chunk
            )
            secs = time.perf_counter() - t
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>10,} {secs:>8.1f} {n / secs:>11,.0f} {rss:>12,.0f} {size:>10,.0f}")
    print("No peer: the simulator is ours. Memory is bounded by --chunk (whole schools per chunk).")


if __name__ == "__main__":
    main()
