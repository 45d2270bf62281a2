# syntax=docker/dockerfile:1
#
# chatstream container image.
#
#   docker build -t chatstream .
#   docker run --rm -p 8000:8000 -v chatstream-data:/data chatstream
#
# Stages: `chef` (toolchain + cargo-chef), `planner` (dependency recipe from the
# manifests), `builder` (dependencies cooked in their own layer, then the
# workspace), `runtime` (Debian slim, the binary, a non-root user).
# Editing only Rust sources reuses the cooked dependency layer.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --version "${CARGO_CHEF_VERSION}" --locked \
    && rm -rf "${CARGO_HOME}/registry"
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# The recipe changes only when a manifest or Cargo.lock does: this layer
# (every dependency, compiled in release mode) is then reused.
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --bin chatstream --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin chatstream \
    && install -D -m 0755 target/release/chatstream /out/chatstream

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# SQLite is compiled into the binary (bundled libsqlite3) and PostgreSQL and
# Redis are spoken over plain TCP, so glibc is all it links; ca-certificates is
# there for any TLS endpoint a deployment adds.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 chatstream \
    && useradd --system --uid 10001 --gid chatstream --home-dir /data \
       --no-create-home --shell /usr/sbin/nologin chatstream \
    && mkdir -p /data \
    && chown chatstream:chatstream /data

COPY --from=builder /out/chatstream /usr/local/bin/chatstream

LABEL org.opencontainers.image.title="chatstream" \
      org.opencontainers.image.description="Real-time chat server: GraphQL + graphql-ws over Redis Streams, django-chat compatible REST and WebSocket" \
      org.opencontainers.image.licenses="MIT"

# Listen on every interface of the container. The default database is a SQLite
# file in the /data volume; point DATABASE_URL (and REDIS_URL) at PostgreSQL
# (and Redis) to scale out, as docker-compose.yml does.
ENV BIND_ADDR=0.0.0.0:8000 \
    DATABASE_URL=sqlite:///data/chatstream.db?mode=rwc
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# Numeric, so that runtimes checking runAsNonRoot can verify it.
USER 10001:10001

# No curl in the image: bash (part of every Debian base) opens the socket,
# sends one HTTP request for /livez and accepts only a 200 status line. The
# port is taken from BIND_ADDR, so overriding it keeps the probe right (the
# address must then still be a wildcard or loopback one).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${BIND_ADDR##*:}\" && printf 'GET /livez HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 _ status _ <&3 && [ \"$status\" = 200 ]"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["chatstream"]
CMD ["serve"]
