#!/usr/bin/env bash
# Runs the benchmark once and prints output/results.csv on stdout (logs go
# to stderr). Exit 0 on success, 1 on failure.
#
#   ./RunChallenge.sh              the real archive (ESA CDN, ~378 MB)
#   ./RunChallenge.sh --synthetic  a generated archive, served by a mirror
#   ./RunChallenge.sh --native     never use Docker, even if an engine runs
#
# With a reachable Docker engine and Compose (`docker compose`, else
# `docker-compose`) it runs the compose services; otherwise it builds and
# runs natively (after scripts/install-deps.sh). RUNCHALLENGE_TIMEOUT_S
# (default 7200) bounds the wait for a verdict.
set -euo pipefail
cd "$(dirname "$0")"

synthetic=0
native=0
for arg in "$@"; do
  case "$arg" in
    --synthetic) synthetic=1 ;;
    --native) native=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "RunChallenge.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "RunChallenge: $*" >&2; }
config=config/production.json
out=output
timeout_s=${RUNCHALLENGE_TIMEOUT_S:-7200}

# Builds only the executable (the tests are built by the test command), with
# Ninja when a new build folder is made and it is installed: it compiles the
# layers side by side, where make waits for each layer's library. Rebuilds
# when CMakeLists.txt, layers.txt or a source in one of its folders changed.
build_native() {
  local folders generator=() t0=$SECONDS
  folders=$(sed -n 's/^\([a-z_]*\):.*/\1/p' layers.txt)
  # shellcheck disable=SC2086 # one word per folder
  if [ ! -x build/gaia-dr3 ] || [ -n "$(find CMakeLists.txt layers.txt $folders -newer build/gaia-dr3 2>/dev/null | head -1)" ]; then
    log "building gaia-dr3 (cmake, Release)"
    if [ ! -f build/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then
      generator=(-G Ninja)
    fi
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${generator[@]}" >&2
    cmake --build build -j"$(nproc)" --target gaia-dr3 >&2
    log "built gaia-dr3 in $((SECONDS - t0)) s"
  fi
}

print_result() {
  local dir=$1
  if [ -f "$dir/results.done" ] && [ -f "$dir/results.csv" ]; then
    cat "$dir/results.csv"
    log "$(head -1 "$dir/results.done")"
    return 0
  fi
  log "the run failed:"
  [ -f "$dir/results.err" ] && sed 's/^/  /' "$dir/results.err" >&2
  return 1
}

# Compose, when an engine answers: v2 (`docker compose`) where the plugin
# exists, else v1 (`docker-compose`). Without either, the native build.
compose=()
find_compose() {
  [ "$native" -eq 0 ] && command -v docker >/dev/null 2>&1 || return 1
  if ! docker info >/dev/null 2>&1; then
    log "no Docker engine answers (docker info failed): running natively"
    return 1
  fi
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    log "a Docker engine runs but neither 'docker compose' nor 'docker-compose' works: running natively"
    return 1
  fi
}

# The containers write ./output as the caller, so the files stay the
# caller's; never as root: run by root, they write as the owner of ./output,
# or, when root owns it too, as the image's user 10001, which gets ./output.
container_user() {
  mkdir -p "$out"
  if [ -n "${GAIA_UID:-}" ]; then
    export GAIA_UID GAIA_GID="${GAIA_GID:-$GAIA_UID}"
  elif [ "$(id -u)" -ne 0 ]; then
    export GAIA_UID="$(id -u)" GAIA_GID="$(id -g)"
  elif [ "$(stat -c %u "$out")" -ne 0 ]; then
    export GAIA_UID="$(stat -c %u "$out")" GAIA_GID="$(stat -c %g "$out")"
  else
    log "run as root: the containers run as 10001:10001, which now owns $out"
    chown -R 10001:10001 "$out"
    export GAIA_UID=10001 GAIA_GID=10001
  fi
  log "containers run as $GAIA_UID:$GAIA_GID"
}

# The exit trap stops only the services this script started: one that was
# already running is the user's and stays up.
started=()
remember_stopped() {
  local running s
  running=$("${compose[@]}" --profile synthetic ps --services --filter status=running 2>/dev/null || true)
  for s in "$@"; do
    grep -qx "$s" <<<"$running" || started+=("$s")
  done
}
stop_started() {
  if [ ${#started[@]} -gt 0 ]; then
    log "stopping what this script started: ${started[*]}"
    "${compose[@]}" --profile synthetic stop "${started[@]}" >&2 || true
  fi
}

# Waits for results.done/results.err in $1 while the compose service $2
# runs. Fails when its container is gone or stopped, restarts in a loop
# (a crash or two are survived: the service resumes), or no verdict comes
# within $timeout_s.
await_compose() {
  local dir=$1 service=$2 id state restarts first deadline=$((SECONDS + timeout_s))
  id=$("${compose[@]}" --profile synthetic ps -q "$service" 2>/dev/null || true)
  if [ -z "$id" ]; then
    log "the service $service did not start:"
    "${compose[@]}" --profile synthetic logs --tail 50 >&2 || true
    return 1
  fi
  first=$(docker inspect -f '{{.RestartCount}}' "$id")
  while [ ! -f "$dir/results.done" ] && [ ! -f "$dir/results.err" ]; do
    read -r state restarts < <(docker inspect -f '{{.State.Status}} {{.RestartCount}}' "$id" 2>/dev/null || echo "gone 0")
    if [ "$state" != running ] && [ "$state" != restarting ]; then
      log "the service $service is $state:"
      "${compose[@]}" --profile synthetic logs --tail 50 "$service" >&2 || true
      return 1
    fi
    if [ "$restarts" -gt $((first + 2)) ]; then
      log "the service $service restarts in a loop ($((restarts - first)) restarts):"
      "${compose[@]}" --profile synthetic logs --tail 50 "$service" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no results.done or results.err in $dir after ${timeout_s} s (RUNCHALLENGE_TIMEOUT_S)"
      return 1
    fi
    sleep 2
  done
  "${compose[@]}" --profile synthetic logs --tail 30 "$service" >&2 || true
}

# Runs the compose service $1 writing into $2 (the services it starts, its
# dependencies included, follow), and prints the verdict.
run_compose() {
  local service=$1 dir=$2
  shift 2
  container_user
  remember_stopped "$service" "$@"
  trap stop_started EXIT
  rm -f "$dir/results.done" "$dir/results.err"
  log "${compose[*]} --profile synthetic up -d --build $service"
  if ! "${compose[@]}" --profile synthetic up -d --build "$service" >&2; then
    log "compose could not start $service:"
    "${compose[@]}" --profile synthetic logs --tail 50 >&2 || true
    return 1
  fi
  await_compose "$dir" "$service" || return 1
  print_result "$dir"
}

if [ "$synthetic" -eq 1 ] && find_compose; then
  run_compose gaia-dr3-synthetic "$out/synthetic/run" synthetic-mirror
  exit $?
fi

if [ "$synthetic" -eq 1 ]; then
  build_native
  synth_dir=$out/synthetic/archive
  run_dir=$out/synthetic/run
  if [ ! -f "$synth_dir/.complete" ] || [ ! -f "$synth_dir/_MD5SUM.txt" ]; then
    log "generating the synthetic 20-file archive in $synth_dir (once)"
    synth_t0=$SECONDS
    mkdir -p "$synth_dir"
    build/gaia-dr3 synth --out "$synth_dir" --files 20 >&2
    touch "$synth_dir/.complete"
    log "generated the archive in $((SECONDS - synth_t0)) s"
  fi
  url_file=$(mktemp)
  build/gaia-dr3 mirror --dir "$synth_dir" --port 0 >"$url_file" 2>"$out/synthetic/mirror.log" &
  mirror_pid=$!
  trap 'kill "$mirror_pid" 2>/dev/null || true; rm -f "$url_file"' EXIT
  for _ in $(seq 1 100); do
    [ -s "$url_file" ] && break
    kill -0 "$mirror_pid" 2>/dev/null || { log "the mirror did not start:"; cat "$out/synthetic/mirror.log" >&2; exit 1; }
    sleep 0.1
  done
  base=$(head -1 "$url_file")
  log "mirror serving $synth_dir at $base"
  rm -f "$run_dir/results.done" "$run_dir/results.err"
  status=0
  run_t0=$SECONDS
  GAIA_ARCHIVE_URL_TEMPLATE="$base/EpochPhotometry_%s.csv.gz" GAIA_OUTPUT_DIR="$run_dir" \
    build/gaia-dr3 run --config "$config" >&2 || status=$?
  log "the run took $((SECONDS - run_t0)) s"
  if [ "$status" -eq 2 ]; then exit 1; fi
  print_result "$run_dir"
  exit $?
fi

if find_compose; then
  run_compose gaia-dr3 "$out"
  exit $?
fi

build_native
rm -f "$out/results.done" "$out/results.err"
status=0
build/gaia-dr3 run --config "$config" >&2 || status=$?
if [ "$status" -ne 0 ] && [ -f "$out/results.err" ] && grep -qiE "resolve|connect|timed out|network" "$out/results.err"; then
  log "the archive looks unreachable from here; try ./RunChallenge.sh --synthetic"
fi
if [ "$status" -eq 2 ]; then exit 1; fi
print_result "$out"
