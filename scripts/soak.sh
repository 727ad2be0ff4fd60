#!/usr/bin/env bash
# Soak: `gaia-dr3 serve` left alone for many runs, as a service runs for
# years. It serves the live page and a small synthetic archive over the
# loopback mirror (downloads not kept, so every run asks the mirror whether
# each file is unchanged), and re-triggers a run
# as users do (removing results.done) RUNS times. Some runs fail on purpose
# (an archive file goes missing, then comes back). The page, its trace API
# and /metrics are scraped throughout, and the trace retention works all the
# time (few runs and few bytes kept). Beside the runs, light-curve requests
# are dropped into serve's inbox (every SOAK_LC_EVERY-th run; every
# SOAK_LC_BAD_EVERY-th of them with a line that is not an id), each answer
# checked (the zip's tables and not_found.txt, or the .err naming the line)
# and then collected as a user would (the request and its answer removed).
#
# Every run it records serve's RSS, open file descriptors and threads, the
# size of output_dir and the run's time; at the end it fits a line to each
# over the runs after the first WARMUP and fails when one grows: a slope,
# not a single reading. output_dir must also stay within what the retention
# settings allow.
#
#   scripts/soak.sh [RUNS] [--bin PATH] [--keep]      (default 1000 runs;
#                  PATH: the gaia-dr3 executable, build/gaia-dr3 by default)
# CI runs the short form, `soak.sh 250`, as one of the tests (ctest).
#
# Writes its figures to $SOAK_DIR/soak.csv (a line per run) and prints the
# summary table the README shows. Exit 0: all flat; 1: something grew or a
# run did not behave; 2: could not start.
set -euo pipefail

runs=1000
bin=$(cd "$(dirname "$0")/.." && pwd)/build/gaia-dr3
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n 2,23p "$0"; exit 0 ;;
    *) runs=$1 ;;
  esac
  shift
done
# The warm-up: the page's in-memory log keeps the last 1,000 lines, about
# 110 runs' worth, and fills up by then; memory is flat after it.
warmup=${SOAK_WARMUP:-150}
fail_every=${SOAK_FAIL_EVERY:-97}   # a run fails on purpose this often
scrape_every=${SOAK_SCRAPE_EVERY:-5}
run_timeout_s=${SOAK_RUN_TIMEOUT_S:-60}
lc_every=${SOAK_LC_EVERY:-3}        # a light-curve request beside every 3rd run
lc_bad_every=${SOAK_LC_BAD_EVERY:-7} # every 7th request has a bad line
[ -x "$bin" ] || { echo "soak: no $bin (build first)" >&2; exit 2; }
[ "$runs" -gt $((warmup + 20)) ] || { echo "soak: need more than $((warmup + 20)) runs" >&2; exit 2; }

work=${SOAK_DIR:-$(mktemp -d /tmp/gaia-soak.XXXXXX)}
mkdir -p "$work"
archive=$work/archive
out=$work/out
rm -rf "$out"
mirror_pid=""
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [ -n "$mirror_pid" ] && kill "$mirror_pid" 2>/dev/null || true
  [ "$keep" -eq 1 ] || [ -n "${SOAK_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

say() { echo "soak: $*" >&2; }

# A small archive: three real-shaped files, a few hundred sources each.
if [ ! -f "$archive/_MD5SUM.txt" ]; then
  "$bin" synth --out "$archive" --files 3 --scale 0.01 --seed 7 >/dev/null 2>&1 \
    || { say "synth failed"; exit 2; }
fi
victim=$(ls "$archive" | grep '^EpochPhotometry_' | sed -n 2p)
# The files' HEALPix bounds from their names (000000-003111 -> 0,3112).
boundaries=$(ls "$archive" | sed -n 's/^EpochPhotometry_\([0-9]*\)-\([0-9]*\)\.csv\.gz$/\1 \2/p' \
  | awk 'NR == 1 { printf "%d", $1 } { printf ",%d", $2 + 1 }')

# Ids for the light-curve requests: the first sources of the first and the
# last file (found), and two no file holds: one beyond every range, one in
# the first file's range that the file does not have (its largest id + 1;
# rows are in id order).
first_file=$(ls "$archive" | grep '^EpochPhotometry_' | head -1)
last_file=$(ls "$archive" | grep '^EpochPhotometry_' | tail -1)
file_ids() { zcat "$archive/$1" | grep -v '^#' | sed 1d | cut -d, -f2; }
found_ids=$( (file_ids "$first_file" | head -3; file_ids "$last_file" | head -3) | tr '\n' ' ')
missing_ids="$(( $(file_ids "$first_file" | tail -1) + 1 )) 9223372036854775807"
[ "$(echo $found_ids | wc -w)" -eq 6 ] || { say "no ids in $first_file / $last_file"; exit 2; }

port_file=$work/mirror.url
"$bin" mirror --dir "$archive" --port 0 >"$port_file" 2>"$work/mirror.log" &
mirror_pid=$!
for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
base=$(head -1 "$port_file")
[ -n "$base" ] || { say "the mirror did not start"; cat "$work/mirror.log" >&2; exit 2; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
web_port=$(free_port)
keep_runs=20
max_trace=$((1 << 20))
cat >"$work/config.json" <<EOF
{
  "archive_url_template": "$base/EpochPhotometry_%s.csv.gz",
  "file_boundaries": [$boundaries],
  "output_dir": "$out",
  "keep_downloads": false,
  "poll_interval_ms": 20,
  "download_pool_size": 2,
  "import_pool_size": 2,
  "download_retries": 0,
  "retry_backoff_ms": 10,
  "trace_keep_runs": $keep_runs,
  "trace_max_bytes": $max_trace,
  "web_port": $web_port
}
EOF
"$bin" serve --config "$work/config.json" >"$work/serve.log" 2>&1 &
serve_pid=$!

page() { curl -fsS --max-time 10 "http://127.0.0.1:$web_port$1" >/dev/null; }
for _ in $(seq 1 200); do page /livez 2>/dev/null && break; sleep 0.05; done
page /livez || { say "serve's page did not come up"; tail -20 "$work/serve.log" >&2; exit 2; }

# The first run starts by itself (no marker yet).
wait_marker() { # -> done | err | timeout
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$run_timeout_s" ]; do
    kill -0 "$serve_pid" 2>/dev/null || { echo dead; return; }
    [ -f "$out/results.done" ] && { echo done; return; }
    [ -f "$out/results.err" ] && { echo err; return; }
    sleep 0.01
  done
  echo timeout
}
inbox=$out/lightcurves_inbox
# Drops request NAME (found and missing ids, one twice; a bad line when
# `bad`), written elsewhere and moved in as the README says.
drop_request() { # NAME good|bad
  mkdir -p "$inbox"
  { for id in $found_ids $missing_ids; do echo "$id"; done
    echo "$(echo $found_ids | cut -d' ' -f1)"  # a duplicate counts once
    [ "$2" = bad ] && echo "not-an-id"; } >"$work/$1.txt"
  mv "$work/$1.txt" "$inbox/$1.txt"
}
# Waits for request NAME's marker and checks its answer; prints done | err
# | a problem. Then collects it: the request and its answer are removed.
check_request() { # NAME good|bad
  local name=$1 t0=$SECONDS verdict=timeout
  while [ $((SECONDS - t0)) -lt "$run_timeout_s" ]; do
    kill -0 "$serve_pid" 2>/dev/null || { echo dead; return; }
    [ -f "$inbox/$name.done" ] && { verdict=done; break; }
    [ -f "$inbox/$name.err" ] && { verdict=err; break; }
    sleep 0.01
  done
  if [ "$verdict" = done ] && [ "$2" = good ]; then
    /usr/bin/python3 - "$inbox/$name.zip" $found_ids -- $missing_ids <<'PY' || verdict="bad answer"
import sys, zipfile
path, rest = sys.argv[1], sys.argv[2:]
found, missing = rest[:rest.index("--")], rest[rest.index("--") + 1:]
z = zipfile.ZipFile(path)
names = set(z.namelist())
want = {f"EPOCH_PHOTOMETRY-Gaia DR3 {i}.xml" for i in found}
assert want <= names, f"missing tables: {sorted(want - names)}"
assert len(names) == len(found) + 1, f"{len(names)} entries"
nf = z.read("not_found.txt").decode().split()
assert sorted(nf) == sorted(missing), f"not_found.txt: {nf}"
PY
  elif [ "$verdict" = err ] && [ "$2" = bad ]; then
    grep -q "not-an-id\|line 9" "$inbox/$name.err" || verdict="err without the bad line"
    [ -e "$inbox/$name.zip" ] && verdict="a zip beside the .err"
  fi
  [ "$verdict" = err ] && [ "$2" = good ] && verdict="err: $(head -1 "$inbox/$name.err")"
  rm -f "$inbox/$name".*
  echo "$verdict"
}
proc_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$serve_pid/status"; }

csv=$work/soak.csv
echo "run,outcome,ms,rss_kb,fds,threads,output_bytes,trace_bytes,trace_files" >"$csv"
problems=0
failed_on_purpose=0
lc_requests=0
lc_answered=0
lc_refused=0
say "$runs runs of serve (pid $serve_pid) at $base, page on :$web_port, in $work"
for i in $(seq 1 "$runs"); do
  fail_now=0
  if [ $((i % fail_every)) -eq 0 ]; then fail_now=1; mv "$archive/$victim" "$work/$victim.away"; fi
  lc_now=""
  if [ $((i % lc_every)) -eq 0 ]; then
    lc_requests=$((lc_requests + 1))
    lc_now=good; [ $((lc_requests % lc_bad_every)) -eq 0 ] && lc_now=bad
    drop_request "lc-$i" "$lc_now"
  fi
  t0=$(date +%s%N)
  # Every run imports every file again: the checksum list would let it
  # reuse the checkpoints of the files that did not change. Not before run
  # 1: it started by itself on an empty output_dir and may be writing its
  # checkpoints already (removing their folder under it failed it).
  if [ "$i" -gt 1 ]; then
    rm -rf "$out/aggregates"
    rm -f "$out/results.done" "$out/results.err"
  fi
  outcome=$(wait_marker)
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ -n "$lc_now" ]; then
    lc_outcome=$(check_request "lc-$i" "$lc_now")
    if [ "$lc_now" = good ] && [ "$lc_outcome" = done ]; then
      lc_answered=$((lc_answered + 1))
    elif [ "$lc_now" = bad ] && [ "$lc_outcome" = err ]; then
      lc_refused=$((lc_refused + 1))
    else
      say "run $i: light-curve request ($lc_now): $lc_outcome"; problems=$((problems + 1))
    fi
  fi
  if [ "$fail_now" -eq 1 ]; then
    mv "$work/$victim.away" "$archive/$victim"
    if [ "$outcome" = err ] && grep -q "$victim" "$out/results.err"; then
      failed_on_purpose=$((failed_on_purpose + 1))
    else
      say "run $i: expected a failure naming $victim, got $outcome"; problems=$((problems + 1))
    fi
  elif [ "$outcome" != done ]; then
    say "run $i: $outcome"; [ -f "$out/results.err" ] && sed -n 1,5p "$out/results.err" >&2
    problems=$((problems + 1))
    [ "$outcome" = dead ] && break
  fi
  if [ $((i % scrape_every)) -eq 0 ]; then
    latest=$(curl -fsS --max-time 10 "http://127.0.0.1:$web_port/api/runs" \
      | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); r=r.get("runs",r) if isinstance(r,dict) else r; print(r[-1]["run"] if r else 0)' 2>/dev/null || echo 0)
    for p in / /app.js /api/live /api/settings /metrics /readyz "/api/runs/$latest"; do
      page "$p" || { say "run $i: GET $p failed"; problems=$((problems + 1)); }
    done
  fi
  rss=$(proc_field VmRSS); threads=$(proc_field Threads)
  fds=$(ls "/proc/$serve_pid/fd" | wc -l)
  # A light-curve request may be under way: a file du listed can be gone
  # when it looks at it (du then says so and exits 1, its total still right).
  bytes=$(du -sb "$out" 2>/dev/null | cut -f1 || true)
  tbytes=$(du -sb "$out/trace" 2>/dev/null | cut -f1 || true)
  tbytes=${tbytes:-0}
  # Traces of the production that has most (each keeps its own keep_runs).
  tfiles=$(for f in "$out"/trace/run-*.jsonl; do
      { head -c 300 "$f" 2>/dev/null | grep -o '"production":"[^"]*"' | head -1; } || true
    done | sort | uniq -c | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }')
  echo "$i,$outcome,$ms,$rss,$fds,$threads,$bytes,$tbytes,$tfiles" >>"$csv"
  [ "$tfiles" -gt "$keep_runs" ] && ls -la "$out/trace" >&2
  [ $((i % 100)) -eq 0 ] && say "run $i: rss ${rss} kB, $fds fds, $threads threads, output ${bytes} B, ${ms} ms"
done

say "figures in $csv"
say "light-curve requests: $lc_requests, answered and checked: $lc_answered, bad ones refused: $lc_refused"
/usr/bin/python3 - "$csv" "$warmup" "$keep_runs" "$max_trace" "$problems" "$failed_on_purpose" <<'EOF'
# The verdict: a least-squares line over the runs after the warm-up, per
# figure. A figure "grows" when the line rises by more than its tolerance
# over those runs AND the last tenth's median is above the first tenth's by
# that much too (one slow run or a GC-like bump does not fail it).
import csv, statistics, sys
path, warmup, keep_runs, max_trace, problems, purposeful = sys.argv[1:]
warmup, keep_runs, max_trace = int(warmup), int(keep_runs), int(max_trace)
rows = list(csv.DictReader(open(path)))
after = rows[warmup:]
ok = len(after) >= 20 and int(problems) == 0
def fit(ys):
    n = len(ys); xs = range(n); mx = (n - 1) / 2; my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
# figure: (column, absolute tolerance over the run, unit, scale for print)
# RSS may rise by half a kB a run, and by 1 MB in any case: the allocator
# keeps pages in steps of about 0.3 MB now and then (the heap in use stays
# level, heaptrack shows), which a short soak must not take for a leak. The
# leak this soak found first (CAF's clock keeping every request's timeout
# entry for request_timeout_s) was 1.8 kB a run: 1.5 MB over 1,000 runs.
rss_tol = max(1024, 0.5 * len(after))
checks = [("rss_kb", rss_tol, "MB", 1 / 1024), ("fds", 2, "", 1), ("threads", 2, "", 1),
          ("output_bytes", 256 * 1024, "MB", 1 / 2**20), ("ms", None, "ms", 1)]
print(f"{'figure':<14}{'first ' + str(warmup):>12}{'after warm-up (min/median/max)':>36}{'growth over the runs':>24}  verdict")
for col, tol, unit, k in checks:
    ys = [float(r[col]) for r in after if r["outcome"] in ("done", "err")]
    first = [float(r[col]) for r in rows[:warmup]]
    slope = fit(ys); grow = slope * (len(ys) - 1)
    tenth = max(5, len(ys) // 10)
    step = statistics.median(ys[-tenth:]) - statistics.median(ys[:tenth])
    if tol is None:  # run time: half the median and 20 ms (a loaded host)
        tol = 0.5 * statistics.median(ys) + 20
    grows = grow > tol and step > tol
    ok = ok and not grows
    f = lambda v: f"{v * k:.1f}" if k != 1 else f"{v:.0f}"
    print(f"{col:<14}{f(statistics.median(first)):>12}"
          f"{f(min(ys)) + ' / ' + f(statistics.median(ys)) + ' / ' + f(max(ys)):>36}"
          f"{f(grow) + ' ' + unit:>24}  {'GROWS' if grows else 'flat'}")
# Retention: at most keep_runs traces of each production, all together
# within trace_max_bytes.
tfiles = max(int(r["trace_files"]) for r in after)
tbytes = max(int(r["trace_bytes"]) for r in after)
bounded = tfiles <= keep_runs and tbytes <= max_trace
ok = ok and bounded
print(f"trace retention: at most {tfiles} files of one production (keep {keep_runs}), {tbytes} bytes "
      f"(max {max_trace}): {'bounded' if bounded else 'NOT BOUNDED'}")
print(f"runs: {len(rows)}, failed on purpose and named: {purposeful}, other problems: {problems}")
print("soak: PASS" if ok else "soak: FAIL")
sys.exit(0 if ok else 1)
EOF
