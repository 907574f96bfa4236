"""Runnable benchmarks that print their figures as one JSON line (make bench)."""
