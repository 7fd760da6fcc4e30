"""Run every benchmark of this package, or the ones named: `python -m bench [NAME ...]`."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    known = benchmarks()
    names = argv or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for name in names:
        print(f"== bench {name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent)
        result = RESULTS / f"{name}.json"
        if code == 0 and result.is_file():
            print(json.dumps(json.loads(result.read_text()), indent=2))
        else:
            failed += 1
            print(f"bench {name} failed (exit {code})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
