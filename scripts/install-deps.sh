#!/usr/bin/env bash
# The one list of Debian packages this project needs. Used by the README's
# set-up command, by .ci/run and by the Dockerfile, so they cannot drift apart.
#   scripts/install-deps.sh          build + test dependencies (default)
#   scripts/install-deps.sh compile  only what compiling gaia-dr3 needs (the
#                                    Dockerfile's build stage: no tests there)
#   scripts/install-deps.sh runtime  only the shared libraries the binary loads
#   scripts/install-deps.sh docker   a Docker engine and Compose, for
#                                    scripts/docker-e2e.sh (and .ci/run)
set -euo pipefail

# What compiling needs.
COMPILE_PACKAGES=(
  build-essential cmake pkg-config
  ninja-build             # compiles all layers side by side (make waits for each layer's library)
  libcaf-dev              # CAF 0.17.6, the actor framework (core, io, openssl)
  libcurl4-openssl-dev    # downloads (https:// and file://)
  libssl-dev              # MD5 of the downloads (libcrypto's EVP)
  zlib1g-dev              # gzip fallback inflater
  libisal-dev             # ISA-L: the fast inflater
  libfast-float-dev       # correctly rounded double parsing
  libdragonbox-dev        # shortest round-trip digits of doubles (header-only as used: not runtime)
  nlohmann-json3-dev      # configuration
  libcpp-httplib-dev      # the loopback mirror (gaia-dr3 mirror)
  libcli11-dev            # command-line parsing (CLI11)
  libcfitsio-dev          # FITS light-curve tables (cfitsio)
  libminizip-dev          # the light curves' answer: one zip (zlib's minizip, zip64)
  prometheus-cpp-dev      # /metrics (prometheus-cpp core: registry, text format)
  ca-certificates curl procps
)
# What the tests need besides (the tools they run, as users run them).
TEST_PACKAGES=(
  doctest-dev             # tests
  chromium                # tests: the live page in a real (headless) browser
  prometheus              # tests: `promtool check metrics` on /metrics
  openssl                 # tests: a CA and certificates for the cluster tests
  python3                 # tests: scripts/soak.sh's verdict (a line fitted to each figure)
  python3-astropy         # tests: id lists as astronomers' tools write them; astropy reads every light-curve table
  stilts                  # tests: `stilts votlint` on every light-curve VOTable
)
# What build/gaia-dr3 links (ldd; libcaf-io and libcaf-openssl: workers on
# other machines), CA certificates for https, and curl for the synthetic
# mirror's healthcheck in docker-compose.yml.
RUNTIME_PACKAGES=(
  libcaf-core0.17 libcaf-io0.17 libcaf-openssl0.17 libcurl4 libssl3 zlib1g libisal2 libcpp-httplib0.11
  libprometheus-cpp-core1.0
  libcfitsio10 libminizip1 # results.fits (export_formats), `lightcurves`: FITS, the zip
  ca-certificates curl
  openssl                 # the cluster profile makes its CA and certificates
)

# Debian's engine (dockerd 20.10) and Compose v1.29 (`docker-compose`; users
# have v2, `docker compose`, and the files work with both), debootstrap to
# make the base image where no registry can be reached, iptables for the
# engine's bridge networking.
DOCKER_PACKAGES=(
  docker.io docker-compose debootstrap iptables ca-certificates curl git
)

case "${1:-build}" in
  build) packages=("${COMPILE_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  compile) packages=("${COMPILE_PACKAGES[@]}") ;;
  runtime) packages=("${RUNTIME_PACKAGES[@]}") ;;
  docker) packages=("${DOCKER_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|compile|runtime|docker]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
