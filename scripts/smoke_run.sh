#!/usr/bin/env bash
# Clones the committed tree into a temporary folder, runs `make run` there with no
# environment, and waits until /, a trip search, /pnr-status/, /admin/login/, /api/docs/ and
# /healthz answer 200.
# Fails if that takes longer than SMOKE_LIMIT seconds (default 120).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=${SMOKE_LIMIT:-120}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
log="$work/make-run.log"
pid=""

cleanup() {
  if [ -n "$pid" ]; then kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet "$here" "$work/ttms"
start=$(date +%s)
set -m
( cd "$work/ttms" && exec env -i PATH="$PATH" HOME="$HOME" make run PORT="$port" ) >"$log" 2>&1 &
pid=$!
set +m

# A search between two of the demo's stations, for today.
# Today where the trains leave (New Delhi): a UTC date is yesterday there after 18:30 UTC,
# and search refuses a day that has passed at the boarding station.
search="/trips/?from=NDLS&to=HWH&date=$(TZ=Asia/Kolkata date +%F)"
pending=(/ "$search" /pnr-status/ /admin/login/ /api/docs/ /healthz)
while [ ${#pending[@]} -gt 0 ]; do
  elapsed=$(( $(date +%s) - start ))
  if [ "$elapsed" -gt "$limit" ]; then
    echo "make run did not serve ${pending[*]} within ${limit}s; its log:"; tail -40 "$log"; exit 1
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "make run exited early; its log:"; tail -40 "$log"; exit 1
  fi
  still=()
  for path in "${pending[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path" || true)
    [ "$code" = "200" ] || still+=("$path")
  done
  pending=("${still[@]+"${still[@]}"}")
  [ ${#pending[@]} -eq 0 ] || sleep 1
done
echo "make run served /, a trip search, /pnr-status/, /admin/login/, /api/docs/ and /healthz $(( $(date +%s) - start ))s after starting from a fresh clone"
