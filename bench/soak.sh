#!/usr/bin/env bash
# The soak test of tests/live.rs, longer: a live run with `every` clearing a
# map and a scrape of --metrics every 100 ms, for SECONDS (default 300); it
# prints RSS and descriptors at the start and the end, and fails if either
# grew or a scrape went unanswered. Needs root.
#
#   sudo bench/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
LANDTRACE_SOAK_SECS=${1:-300} cargo test --release --test live -- --exact a_long_run_with_metrics_stays_bounded --nocapture
