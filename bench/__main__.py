"""`python -m bench`: every benchmark in turn (engine, then voice round). See bench/README.md."""

from __future__ import annotations

import runpy
import sys

BENCHES = ("bench.bench_engine", "bench.bench_round")


def main() -> int:
    for name in BENCHES:
        print(f"\n=== {name} ===", flush=True)
        saved = sys.argv
        sys.argv = [name]
        try:
            runpy.run_module(name, run_name="__main__")
        except SystemExit as e:
            if e.code not in (0, None):
                print(f"{name} exited with {e.code}", file=sys.stderr)
                return int(e.code) if isinstance(e.code, int) else 1
        finally:
            sys.argv = saved
    return 0


if __name__ == "__main__":
    sys.exit(main())
