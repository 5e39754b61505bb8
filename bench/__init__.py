"""Benchmarks of the hot paths (see /work/shared/perf-limits.md); each module has a main()."""
