"""Benchmarks of the hot paths (limits in the reference perf-limits.md); each module has a main()."""

import os
import warnings

# The handlers' JSON logs and Powertools' empty-metrics warnings would bury the figures.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No application metrics to publish")
