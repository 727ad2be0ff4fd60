#!/usr/bin/env bash
# Times what a newcomer waits for (issue 21): a fresh clone of this
# repository's committed HEAD, then `./RunChallenge.sh --synthetic --native`
# in it without ccache: configure + build of gaia-dr3, the synthetic
# archive, the run. Prints each part (from RunChallenge's own log lines),
# the total, the CPU time, the host's load before and after (other builds
# on the same cores slow it down), and whether the first result came
# within the limit. Exit 0 when the run gave a result (met or missed),
# 1 when it failed. Needs the packages of scripts/install-deps.sh.
#
#   scripts/first-result.sh [--limit S]   (default 180 s)
#   scripts/first-result.sh --keep        keep the clone (its path is printed)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
limit=180
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "first-result.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

work=$(mktemp -d /tmp/first-result.XXXXXX)
[ "$keep" -eq 1 ] || trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
echo "first-result: $(git -C "$work/clone" log --oneline -1) in $work/clone" >&2

# A newcomer has no compiler cache: nothing may come from one.
export CCACHE_DISABLE=1
unset CMAKE_CXX_COMPILER_LAUNCHER CMAKE_GENERATOR CMAKE_BUILD_PARALLEL_LEVEL

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s.%N)
status=0
(cd "$work/clone" && ./RunChallenge.sh --synthetic --native >"$work/results.csv" 2>"$work/log") \
  || status=$?
t1=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU of the finished children (the build, synth, the run): user + sys.
# `times` in this shell, not in a $(...) subshell, which has no children.
times >"$work/times"
cpu=$(tail -1 "$work/times" | awk '{
  s = 0
  for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
  printf "%.0f", s }')

if [ "$status" -ne 0 ]; then
  echo "first-result: RunChallenge.sh failed (exit $status); its log:" >&2
  tail -30 "$work/log" >&2
  exit 1
fi
part() { sed -n "s/^RunChallenge: $1 \([0-9]*\) s$/\1/p" "$work/log" | tail -1; }
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
verdict=missed
[ "$total" -le "$limit" ] && verdict=met
echo "first result from a fresh clone, ./RunChallenge.sh --synthetic --native, no ccache, $(nproc) cores"
echo "| build s | synth s | run s | total s | CPU s | rows | load before | load after | target <= ${limit} s |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
echo "| $(part 'built gaia-dr3 in') | $(part 'generated the archive in') | $(part 'the run took') \
| $total | $cpu | $(($(wc -l <"$work/results.csv") - 1)) | $load_before | $load_after | $verdict |"
