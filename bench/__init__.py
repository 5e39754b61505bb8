"""Benchmarks of the hot paths (limits in the reference perf-limits.md); each module has a main()."""
