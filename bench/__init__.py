"""Benchmarks of promptlab served by `promptlab serve`; run with `python -m bench`."""
