#!/usr/bin/env bash
# Load runs on loopback, side by side in one run: signed STS GetCallerIdentity,
# IAM GetUser and STS AssumeRole against iamd, the same requests against moto_server (the
# peer), and a bare net/http handler returning a 200-byte XML body (the
# ceiling; shared/perf/http's server, built from a copy). wrk -t2 -c64,
# RUNS runs of DURATION per target, median requests/s and latency.
# wrk and the servers share the machine's 2 cores.
#
#   bench/http/run.sh            # RUNS=3 DURATION=10s
# Results: $OUT/summary.txt (default /tmp/iamd-bench-http).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
OUT=${OUT:-/tmp/iamd-bench-http}
SHARED=${SHARED:-$ROOT/../shared}
rm -rf "$OUT"; mkdir -p "$OUT"
exec > >(tee "$OUT/summary.txt") 2>&1
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)"; exit 1; }

go build -o "$OUT/iamd" ./cmd/iamd
go build -o "$OUT/signreq" ./bench/signreq
cp -r "$SHARED/perf/http" "$OUT/floor-src" && chmod -R u+w "$OUT/floor-src"
(cd "$OUT/floor-src" && go build -o "$OUT/httpfloor" .)

export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
IAMD_PORT=19393 MOTO_PORT=19394 FLOOR_PORT=19395 IAMD2_PORT=19396
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

IAMD_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID IAMD_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  IAMD_ACCOUNT_ID=123456789012 IAMD_LOG_LEVEL=warn \
  "$OUT/iamd" serve --listen 127.0.0.1:$IAMD_PORT --data-dir "$OUT/data" >"$OUT/iamd.log" 2>&1 &
pids+=($!); IAMD_PID=$!
# A second iamd that leaves successful reads out of the audit trail
# (IAMD_AUDIT_READS=false), to show what read auditing costs.
IAMD_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID IAMD_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  IAMD_ACCOUNT_ID=123456789012 IAMD_LOG_LEVEL=warn IAMD_AUDIT_READS=false \
  "$OUT/iamd" serve --listen 127.0.0.1:$IAMD2_PORT --data-dir "$OUT/data2" >"$OUT/iamd2.log" 2>&1 &
pids+=($!); IAMD2_PID=$!
moto_server -p $MOTO_PORT >"$OUT/moto.log" 2>&1 &
pids+=($!); MOTO_PID=$!
"$OUT/httpfloor" -addr 127.0.0.1:$FLOOR_PORT -mode plain >"$OUT/floor.log" 2>&1 &
pids+=($!); FLOOR_PID=$!
wait_up http://127.0.0.1:$IAMD_PORT/healthz
wait_up http://127.0.0.1:$IAMD2_PORT/healthz
wait_up http://127.0.0.1:$FLOOR_PORT/
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$MOTO_PORT/ && break; sleep 0.2; done

for port in $IAMD_PORT $IAMD2_PORT $MOTO_PORT; do
  aws --endpoint-url http://127.0.0.1:$port iam create-user --user-name alice >/dev/null
done

# AssumeRole on iamd: alice may assume the role Reader (trust policy names her).
ALICE=$(aws --endpoint-url http://127.0.0.1:$IAMD_PORT --output text iam create-access-key --user-name alice \
  --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
read -r ALICE_KEY ALICE_SECRET <<<"$ALICE"
aws --endpoint-url http://127.0.0.1:$IAMD_PORT iam create-role --role-name Reader --assume-role-policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}]}' >/dev/null

script() { # name port service action params
  "$OUT/signreq" -endpoint "http://127.0.0.1:$2" -service "$3" -action "$4" -params "$5" >"$OUT/$1.lua"
}
script iamd-gci $IAMD_PORT sts GetCallerIdentity ""
script iamd-getuser $IAMD_PORT iam GetUser "UserName=alice"
AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET \
  script iamd-assumerole $IAMD_PORT sts AssumeRole "RoleArn=arn:aws:iam::123456789012:role/Reader&RoleSessionName=bench"
script iamd2-gci $IAMD2_PORT sts GetCallerIdentity ""
script iamd2-getuser $IAMD2_PORT iam GetUser "UserName=alice"
script moto-gci $MOTO_PORT sts GetCallerIdentity ""
script moto-getuser $MOTO_PORT iam GetUser "UserName=alice"

run() { # label pid url [lua]
  local label=$1 pid=$2 url=$3 lua=${4:-}
  local args=(-t2 -c64 --latency)
  [ -n "$lua" ] && args+=(-s "$OUT/$lua.lua")
  # Every target must answer 200 before it is measured.
  wrk "${args[@]}" -d2s "$url" >"$OUT/warm-$label.txt"
  if grep -q 'Non-2xx' "$OUT/warm-$label.txt"; then echo "$label: non-2xx answers"; cat "$OUT/warm-$label.txt"; exit 1; fi
  for i in $(seq "$RUNS"); do
    c0=$(cputicks "$pid")
    wrk "${args[@]}" -d"$DURATION" "$url" >"$OUT/wrk-$label-$i.txt"
    c1=$(cputicks "$pid")
    awk -v t="  $label run $i:" -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
      '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /requests in/ {n=$1} /Non-2xx/ {bad=$NF}
      END {printf "%s %s req/s, %s requests, p50 %s p99 %s, server CPU %.2f us/request%s\n", t, r, n, p50, p99, 1e6*ticks/hz/n, bad ? ", NON-2xx " bad : ""}' \
      "$OUT/wrk-$label-$i.txt"
  done
  rps=$(grep -h 'Requests/sec' "$OUT"/wrk-"$label"-*.txt | awk '{print $2}' | median)
  echo "$label: median $rps req/s over $RUNS runs"
}

run floor-plain $FLOOR_PID http://127.0.0.1:$FLOOR_PORT/
run iamd-GetCallerIdentity $IAMD_PID http://127.0.0.1:$IAMD_PORT/ iamd-gci
run iamd-GetUser $IAMD_PID http://127.0.0.1:$IAMD_PORT/ iamd-getuser
run iamd-AssumeRole $IAMD_PID http://127.0.0.1:$IAMD_PORT/ iamd-assumerole
run iamd-noreadaudit-GetCallerIdentity $IAMD2_PID http://127.0.0.1:$IAMD2_PORT/ iamd2-gci
run iamd-noreadaudit-GetUser $IAMD2_PID http://127.0.0.1:$IAMD2_PORT/ iamd2-getuser
run moto-GetCallerIdentity $MOTO_PID http://127.0.0.1:$MOTO_PORT/ moto-gci
run moto-GetUser $MOTO_PID http://127.0.0.1:$MOTO_PORT/ moto-getuser
