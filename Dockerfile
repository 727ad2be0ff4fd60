# Multi-stage: build with the -dev packages, run with only the shared
# libraries. Both stages install through scripts/install-deps.sh.
#
# The base is a dated slim tag, so a rebuild later starts from the same
# Debian. Where no image registry can be reached, scripts/docker-e2e.sh
# bootstraps an image of exactly this name from Debian's packages.
ARG BASE_IMAGE=debian:bookworm-20250520-slim

FROM ${BASE_IMAGE} AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh compile && rm -rf /var/lib/apt/lists/*
# Only what the binary is built from: a config, README or script edit
# keeps the compiled layer.
# One line per source folder of CMakeLists.txt (tests/test_deploy.cpp
# checks that none is missing).
COPY CMakeLists.txt /src/CMakeLists.txt
COPY layers.txt /src/layers.txt
COPY engine /src/engine
COPY core /src/core
COPY archive /src/archive
COPY download /src/download
COPY results /src/results
COPY lightcurve /src/lightcurve
COPY importer /src/importer
COPY lightcurve_select /src/lightcurve_select
COPY lightcurve_output /src/lightcurve_output
COPY settings /src/settings
COPY actors /src/actors
COPY messages /src/messages
COPY lightcurve_production /src/lightcurve_production
COPY tools /src/tools
COPY web /src/web
COPY cli /src/cli
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build -j"$(nproc)" --target gaia-dr3

FROM ${BASE_IMAGE} AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
# uid and gid 10001, the user docker-compose.yml runs as unless told
# otherwise: the same owner for files whichever way the container starts.
RUN /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && groupadd --system --gid 10001 gaia \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin gaia \
 && mkdir -p /app/output /app/config && chown gaia:gaia /app/output
COPY --from=build /build/gaia-dr3 /usr/local/bin/gaia-dr3
COPY config/production.json /app/config/production.json
WORKDIR /app
USER gaia
# Healthy while the service sends heartbeats or a run holds the lock;
# unhealthy when it is gone or its config does not load (`gaia-dr3 status`
# exits 1). Frequent enough that `docker compose ps` shows a config error
# within a minute; the check only reads a few small files.
HEALTHCHECK --interval=10s --timeout=10s --start-period=20s --retries=3 \
  CMD ["gaia-dr3", "status", "--config", "/app/config/production.json"]
# The live page and /metrics, when web_port is set (docker-compose.yml sets
# it and publishes it on the host's loopback only).
EXPOSE 8090
ENTRYPOINT ["gaia-dr3"]
CMD ["serve", "--config", "/app/config/production.json"]
