#!/usr/bin/env bash
# Makes sure the Docker engine has the Dockerfile's base image (its
# `ARG BASE_IMAGE=`, a dated debian:bookworm-YYYYMMDD-slim): present, else
# pulled, else, where no image registry can be reached, bootstrapped from
# Debian's packages under exactly that name:
#
#   debootstrap --variant=minbase bookworm, slimmed like Debian's -slim
#   images (no documentation, manuals, translations or package caches),
#   then `docker import`.
#
# The bootstrapped image has the current bookworm packages, not those of
# the tag's date (the date's snapshot archive is not reachable here).
# Needs root (debootstrap) and a running engine; scripts/docker-e2e.sh
# calls it. GAIA_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'docker-base-image: %s\n' "$*" >&2; }

base=$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile)
[ -n "$base" ] || { log "Dockerfile has no ARG BASE_IMAGE=<image>"; exit 1; }
if docker image inspect "$base" >/dev/null 2>&1; then
  log "$base: present"
  exit 0
fi
if docker pull "$base" >/dev/null 2>&1; then
  log "$base: pulled"
  exit 0
fi
log "cannot pull $base: bootstrapping it from Debian's packages (about a minute)"
command -v debootstrap >/dev/null 2>&1 || scripts/install-deps.sh docker

root=$(mktemp -d /tmp/gaia-base-image.XXXXXX)
trap 'rm -rf "$root" "$root.log"' EXIT
if ! debootstrap --variant=minbase bookworm "$root" \
    "${GAIA_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1; then
  tail -n 20 "$root.log" >&2
  log "debootstrap failed (above)"
  exit 1
fi

# Like the -slim images, for the packages installed later too.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
# The suites the official image lists: security fixes and updates too.
cat >"$root/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*

tar --numeric-owner -C "$root" -c . \
  | docker import -c 'CMD ["bash"]' \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -m "debootstrap --variant=minbase bookworm, slimmed: no registry reachable" \
      - "$base" >/dev/null
log "$base: bootstrapped, $(docker image inspect -f '{{.Size}}' "$base" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
