"""Benchmarks: `python -m bench [NAME ...]` (`make bench`, `BENCH=name make bench`).

Each module `bench/NAME.py` is a benchmark: run as `python -m bench.NAME`, it writes its
result to `bench/results/NAME.json` (git-ignored). `python -m bench` runs every one, each in
its own process so that each may configure Django (its database) as it needs.
"""
