"""Runnable benchmarks of the sync engine; each prints its figures as one JSON line.

    python -m benchmarks.initial_sync --rows 100000
    python -m benchmarks.incremental --changes 5000 --rate 50

Both need a PostgreSQL server (BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432):
they create their own databases, named od_bench_*, and drop them when they end.
"""
