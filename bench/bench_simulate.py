"""Simulator throughput and memory: students per second and peak memory, streaming by schools.

Each size runs in a fresh Python process that reports its own peak RSS, so the figures show
whether memory stays bounded as the district grows (it should be set by ``--chunk``, whole
schools per chunk, not by the number of students). The default sizes end at 2.5 M students,
the six largest NMIP districts together.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(n: int, chunk: int, out: str) -> None:
    from sounding.simulate import DistrictSpec, simulate_to_dir

    t = time.perf_counter()
    summary = simulate_to_dir(DistrictSpec(n_students=n, seed=1), Path(out), chunk_students=chunk)
    secs = time.perf_counter() - t
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file()) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": secs, "rss_mb": rss, "output_mb": size,
                      "responses": int(getattr(summary, "n_responses", 0) or 0)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, nargs="*", default=[2_000, 200_000, 2_500_000])
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--child", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(int(args.child[0]), args.chunk, args.child[1])
        return
    print(f"chunk: {args.chunk:,} students (whole schools)")
    print(f"{'students':>10} {'seconds':>8} {'students/s':>11} {'peak RSS MB':>12} "
          f"{'output MB':>10}")
    for n in args.students:
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as tmp:
            proc = subprocess.run([sys.executable, __file__, "--chunk", str(args.chunk),
                                   "--child", str(n), tmp], capture_output=True, text=True)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(f"simulating {n:,} students failed")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>10,} {r['seconds']:>8.1f} {n / r['seconds']:>11,.0f} {r['rss_mb']:>12,.0f} "
              f"{r['output_mb']:>10,.0f}", flush=True)
    print("No peer: the simulator is ours. Peak memory per size is its own process's; "
          "bounded means roughly flat beyond one chunk.")


if __name__ == "__main__":
    main()
