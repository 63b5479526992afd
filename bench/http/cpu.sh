#!/usr/bin/env bash
# Server CPU per request of iamd binaries over loopback, side by side:
# the iamd targets of run.sh only (GetCallerIdentity and GetUser, reads
# audited and not), for each binary given, plus the bare net/http floor.
# CPU per request (the server's utime+stime ticks over the requests wrk
# counted) depends far less on what else runs on the machine than req/s,
# so it is the figure to compare on a shared machine.
#
#   bench/http/cpu.sh                       # the tree's iamd
#   BINS="/tmp/old-iamd /tmp/new-iamd" bench/http/cpu.sh
#   PERF=1 bench/http/cpu.sh                # also perf record -g each iamd target (5 s)
# All servers run at once and the runs of a target alternate between
# binaries, so that load from other jobs falls on each alike.
# RUNS (3), DURATION (10s), OUT (/tmp/iamd-bench-cpu), PORT (19760: the
# floor; the servers take the next ones).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
OUT=${OUT:-/tmp/iamd-bench-cpu}
SHARED=${SHARED:-$ROOT/../shared}
rm -rf "$OUT"; mkdir -p "$OUT"
exec > >(tee "$OUT/summary.txt") 2>&1
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }

if [ -z "${BINS:-}" ]; then
  go build -o "$OUT/iamd" ./cmd/iamd
  BINS=$OUT/iamd
fi
go build -o "$OUT/signreq" ./bench/signreq
cp -r "$SHARED/perf/http" "$OUT/floor-src" && chmod -R u+w "$OUT/floor-src"
(cd "$OUT/floor-src" && go build -o "$OUT/httpfloor" .)

export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
PORT=${PORT:-19760}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # label pid url lua run
  local label=$1 pid=$2 url=$3 lua=$4 i=$5
  local args=(-t2 -c64)
  [ -n "$lua" ] && args+=(-s "$lua")
  c0=$(cputicks "$pid")
  wrk "${args[@]}" -d"$DURATION" "$url" >"$OUT/wrk-$label-$i.txt"
  c1=$(cputicks "$pid")
  awk -v t="$label run $i:" -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
    '/Requests\/sec/ {r=$2} /requests in/ {n=$1} /Non-2xx/ {bad=$NF}
    END {printf "%-44s %9s req/s, server CPU %6.2f us/request%s\n", t, r, 1e6*ticks/hz/n, bad ? ", NON-2xx " bad : ""}' \
    "$OUT/wrk-$label-$i.txt"
}
warm() { # label url lua
  local args=(-t2 -c64)
  [ -n "$3" ] && args+=(-s "$3")
  wrk "${args[@]}" -d2s "$2" >"$OUT/warm-$1.txt"
  if grep -q 'Non-2xx' "$OUT/warm-$1.txt"; then echo "$1: non-2xx answers"; cat "$OUT/warm-$1.txt"; exit 1; fi
}

"$OUT/httpfloor" -addr 127.0.0.1:$PORT -mode plain >"$OUT/floor.log" 2>&1 &
pids+=($!); fpid=$!
wait_up http://127.0.0.1:$PORT/
kill -0 $fpid 2>/dev/null || { echo "floor did not start (port $PORT taken? set PORT)"; cat "$OUT/floor.log"; exit 1; }
warm floor-plain http://127.0.0.1:$PORT/ ""
for i in $(seq "$RUNS"); do measure floor-plain $fpid http://127.0.0.1:$PORT/ "" $i; done
kill $fpid; wait $fpid 2>/dev/null || true

# Every binary's servers run at once, and the runs of one target alternate
# between binaries, so that what else loads the machine falls on all alike.
n=0
targets=()
for bin in $BINS; do
  n=$((n + 1))
  for reads in false true; do
    PORT=$((PORT + 1))
    data=$OUT/data-$n-$reads
    IAMD_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID IAMD_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
      IAMD_ACCOUNT_ID=123456789012 IAMD_LOG_LEVEL=warn IAMD_AUDIT_READS=$reads \
      "$bin" serve --listen 127.0.0.1:$PORT --data-dir "$data" >"$OUT/iamd-$n-$reads.log" 2>&1 &
    pids+=($!); pid=$!
    wait_up http://127.0.0.1:$PORT/healthz
    kill -0 $pid 2>/dev/null || { echo "$bin did not start (port $PORT taken? set PORT)"; cat "$OUT/iamd-$n-$reads.log"; exit 1; }
    aws --endpoint-url http://127.0.0.1:$PORT iam create-user --user-name alice >/dev/null
    "$OUT/signreq" -endpoint "http://127.0.0.1:$PORT" -service sts -action GetCallerIdentity >"$OUT/gci-$PORT.lua"
    "$OUT/signreq" -endpoint "http://127.0.0.1:$PORT" -service iam -action GetUser -params UserName=alice >"$OUT/getuser-$PORT.lua"
    echo "# bin $n: $bin, IAMD_AUDIT_READS=$reads: port $PORT"
    targets+=("$n $reads $pid $PORT")
  done
done
for reads in false true; do
  for op in GetCallerIdentity GetUser; do
    lua=gci; [ $op = GetUser ] && lua=getuser
    for t in "${targets[@]}"; do
      read -r n r pid port <<<"$t"
      [ "$r" = $reads ] && warm "bin$n-reads=$r-$op" http://127.0.0.1:$port/ "$OUT/$lua-$port.lua"
    done
    for i in $(seq "$RUNS"); do
      for t in "${targets[@]}"; do
        read -r n r pid port <<<"$t"
        [ "$r" = $reads ] || continue
        measure "bin$n-reads=$r-$op" $pid http://127.0.0.1:$port/ "$OUT/$lua-$port.lua" $i
        if [ -n "${PERF:-}" ] && [ "$i" = 1 ]; then
          perf record -g -o "$OUT/perf-bin$n-reads=$r-$op.data" -p "$pid" -- sleep 5 >/dev/null 2>&1 &
          pp=$!
          wrk -t2 -c64 -d5s -s "$OUT/$lua-$port.lua" http://127.0.0.1:$port/ >/dev/null
          wait $pp || true
        fi
      done
    done
  done
done
