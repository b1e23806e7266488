"""The benchmark suite (benchmarks/README.md): `python benchmarks/run.py [--quick]`."""
