"""Runnable benchmarks; each prints its figures as one JSON line (`make bench` runs them all).

    python -m benchmarks.initial_sync --rows 100000
    python -m benchmarks.incremental --changes 5000 --rate 50
    python -m benchmarks.web --contacts 100000 --clients 20

They need a PostgreSQL server (BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432):
they create their own databases, named od_bench_*, and drop them when they end.
"""
