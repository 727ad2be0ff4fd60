#!/usr/bin/env bash
# Runs the benchmark once and prints output/results.csv on stdout (logs go
# to stderr). Exit 0 on success, 1 on failure.
#
#   ./RunChallenge.sh              the real archive (ESA CDN, ~378 MB)
#   ./RunChallenge.sh --synthetic  a generated archive served on loopback
#   ./RunChallenge.sh --native     never use Docker, even if an engine runs
#
# With a running Docker engine it uses `docker compose up --build`;
# otherwise it builds and runs natively (after scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")"

synthetic=0
native=0
for arg in "$@"; do
  case "$arg" in
    --synthetic) synthetic=1 ;;
    --native) native=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "RunChallenge.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "RunChallenge: $*" >&2; }
config=config/production.json
out=output

build_native() {
  if [ ! -x build/gaia-dr3 ] || [ -n "$(find CMakeLists.txt actors core messages src -newer build/gaia-dr3 2>/dev/null | head -1)" ]; then
    log "building (cmake, Release)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2
    cmake --build build -j"$(nproc)" --target gaia-dr3 >&2
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

# Containers write ./output as the caller, so the files stay the caller's.
export GAIA_UID="${GAIA_UID:-$(id -u)}" GAIA_GID="${GAIA_GID:-$(id -g)}"

docker_engine() {
  [ "$native" -eq 0 ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# Waits for results.done/results.err in $1 while the compose service $2 runs.
await_compose() {
  local dir=$1 service=$2
  while [ ! -f "$dir/results.done" ] && [ ! -f "$dir/results.err" ]; do
    if [ -z "$(docker compose ps -q "$service" 2>/dev/null)" ]; then
      log "the service stopped:"; docker compose logs --tail 50 >&2; exit 1
    fi
    sleep 2
  done
  docker compose logs --tail 30 "$service" >&2 || true
}

if [ "$synthetic" -eq 1 ] && docker_engine; then
  log "Docker engine found: docker compose --profile synthetic up --build"
  run_dir=$out/synthetic/run
  mkdir -p "$out/synthetic/archive" "$run_dir"
  rm -f "$run_dir/results.done" "$run_dir/results.err"
  docker compose --profile synthetic up --build -d gaia-dr3-synthetic >&2
  trap 'docker compose --profile synthetic stop >&2 || true' EXIT
  await_compose "$run_dir" gaia-dr3-synthetic
  print_result "$run_dir"
  exit $?
fi

if [ "$synthetic" -eq 1 ]; then
  build_native
  synth_dir=$out/synthetic/archive
  run_dir=$out/synthetic/run
  if [ ! -f "$synth_dir/.complete" ] || [ ! -f "$synth_dir/_MD5SUM.txt" ]; then
    log "generating the synthetic 20-file archive in $synth_dir (once)"
    mkdir -p "$synth_dir"
    build/gaia-dr3 synth --out "$synth_dir" --files 20 >&2
    touch "$synth_dir/.complete"
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
  GAIA_ARCHIVE_URL_TEMPLATE="$base/EpochPhotometry_%s.csv.gz" GAIA_OUTPUT_DIR="$run_dir" \
    build/gaia-dr3 run --config "$config" >&2 || status=$?
  if [ "$status" -eq 2 ]; then exit 1; fi
  print_result "$run_dir"
  exit $?
fi

if docker_engine; then
  log "Docker engine found: docker compose up --build"
  mkdir -p "$out"
  rm -f "$out/results.done" "$out/results.err"
  docker compose up --build -d gaia-dr3 >&2
  trap 'docker compose stop gaia-dr3 >&2 || true' EXIT
  await_compose "$out" gaia-dr3
  print_result "$out"
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
