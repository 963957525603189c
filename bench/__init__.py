"""Benchmarks: `python -m bench` (bench/README.md)."""
