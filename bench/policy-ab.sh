#!/bin/bash
# policy-ab.sh ROUNDS BENCHRE BASE.test OTHER.test...
#
# Interleaved A/B of policy engine builds on the shared workload: each round
# runs every test binary once (order rotated per round, so no binary always
# follows the same neighbour), 0.4 s per benchmark at -cpu 1, and the report
# gives per binary the median and minimum cpu-ns/op and the median over
# rounds of its ratio to BASE in the same round. On this shared machine a
# binary's level moves by 10-40% within an hour, so only same-round ratios
# are worth comparing. Build the binaries with `go test -c -o X.test ./policy/`
# from each tree; WORKLOAD defaults to /tmp/workload.json.
set -euo pipefail
R=$1 B=$2
shift 2
out=$(mktemp)
bins=("$@")
for r in $(seq "$R"); do
  n=${#bins[@]}
  for k in $(seq 0 $((n - 1))); do
    bin=${bins[$(((k + r) % n))]}
    WORKLOAD=${WORKLOAD:-/tmp/workload.json} "$bin" -test.run '^$' -test.bench "$B" -test.benchtime 0.4s -test.cpu 1 2>/dev/null |
      grep '^Bench' | sed "s|^|$r $(basename "$bin" .test) |" >>"$out"
  done
done
python3 - "$(basename "$1" .test)" "$out" <<'PY'
import collections, statistics, sys
base, path = sys.argv[1], sys.argv[2]
d = collections.defaultdict(dict)
for line in open(path):
    f = line.split()
    r, b, name = f[0], f[1], f[2]
    for i, x in enumerate(f):
        if x == 'cpu-ns/op':
            d[(name, b)][r] = float(f[i - 1])
for name in sorted({k[0] for k in d}):
    cols = [name.replace('Benchmark', '')]
    for b in sorted({k[1] for k in d}):
        v = d.get((name, b))
        if not v:
            continue
        ref = d.get((name, base), {})
        ratios = [v[r] / ref[r] for r in v if r in ref]
        cols.append(f"{b}: med {statistics.median(v.values()):.0f} min {min(v.values()):.0f} ratio {statistics.median(ratios):.3f}")
    print('  '.join(cols))
PY
rm -f "$out"
