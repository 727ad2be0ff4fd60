# Multi-stage: build with the -dev packages, run with only the shared
# libraries. Both stages install through scripts/install-deps.sh.
FROM debian:bookworm AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build -j"$(nproc)" --target gaia-dr3

FROM debian:bookworm AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin gaia \
 && mkdir -p /app/output /app/config && chown gaia:gaia /app/output
COPY --from=build /build/gaia-dr3 /usr/local/bin/gaia-dr3
COPY config/production.json /app/config/production.json
WORKDIR /app
USER gaia
ENTRYPOINT ["gaia-dr3"]
CMD ["serve", "--config", "/app/config/production.json"]
