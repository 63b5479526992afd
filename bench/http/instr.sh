#!/usr/bin/env bash
# Instructions per request of httpapi's in-process benchmarks, counted by
# callgrind (the VMs here expose no hardware counters to perf): unlike
# ns/op, the count does not move when other jobs load the machine. The
# garbage collector's work is counted too (callgrind runs every thread).
# Each sub-benchmark runs at two iteration counts; the difference divided
# by the difference in iterations leaves out setup. Under valgrind the
# CPU's SHA extensions are hidden, so SHA-256 counts for more than it
# costs natively: compare counts with counts, not with ns/op.
#
#   bench/http/instr.sh                          # BenchmarkRequestPath
#   BENCH='BenchmarkRequestPath/GetUser' bench/http/instr.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-BenchmarkRequestPath}
N1=${N1:-1000}
N2=${N2:-3000}
OUT=${OUT:-/tmp/iamd-bench-instr}
mkdir -p "$OUT"
# No cgo and no async preemption: callgrind trips over their signals.
CGO_ENABLED=0 go test -c -o "$OUT/httpapi.test" ./httpapi
subs=$("$OUT/httpapi.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime 1x -test.cpu 1 | awk '/^Benchmark/ {print $1}')
count() { # pattern n
  GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" \
    "$OUT/httpapi.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" -test.cpu 1 -test.benchmem \
    >"$OUT/bench.txt" 2>"$OUT/valgrind.txt"
  awk '/Collected :/ {print $NF}' "$OUT/valgrind.txt"
}
for sub in $subs; do
  # Sub-benchmark names have slashes (and a "+"); anchor each path element.
  pat="^$(echo "$sub" | sed -e 's|+|\\+|g' -e 's|/|$/^|g')\$"
  a=$(count "$pat" "$N1")
  b=$(count "$pat" "$N2")
  allocs=$(awk '/allocs\/op/ {print $(NF-1)}' "$OUT/bench.txt")
  awk -v s="$sub" -v a="$a" -v b="$b" -v n1="$N1" -v n2="$N2" -v al="$allocs" \
    'BEGIN {printf "%-56s %8.0f instructions/op %4s allocs/op\n", s, (b-a)/(n2-n1), al}'
done
