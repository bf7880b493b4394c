# syntax=docker/dockerfile:1
#
# TaskPulse server image.
#
#   docker build -t taskpulse .
#   docker run --rm -p 8000:8000 -e SECRET_KEY="$(openssl rand -hex 32)" taskpulse
#
# The image runs with APP_ENV=production, which requires auth.secret
# (SECRET_KEY, JWT_SECRET, BETTER_AUTH_SECRET or TASKPULSE__AUTH__SECRET,
# at least 32 bytes). DATABASE_URL selects PostgreSQL; without it the server
# uses the SQLite file /app/data/taskpulse.db (mount a volume there to keep
# it: -v taskpulse-data:/app/data). See docker-compose.yml and .env.example.

# ---------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

# 1. Dependencies only: the manifests, the lock file and empty stand-ins for
#    the workspace's sources, so this layer is rebuilt only when a manifest
#    or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY crates/domain/Cargo.toml crates/domain/
COPY crates/infra/Cargo.toml crates/infra/
COPY crates/api/Cargo.toml crates/api/
COPY migration/Cargo.toml migration/
RUN set -eux; \
    for crate in crates/domain crates/infra crates/api migration; do \
        mkdir -p "$crate/src"; \
        : > "$crate/src/lib.rs"; \
    done; \
    echo 'fn main() {}' > crates/api/src/main.rs; \
    echo 'fn main() {}' > migration/src/main.rs; \
    cargo build --release --locked -p taskpulse-api; \
    rm -rf crates migration

# 2. The real sources. Their modification times come from the build context
#    and may be older than the stand-ins built above, so touch them to make
#    cargo rebuild the workspace crates (and only those).
COPY crates crates
COPY migration migration
RUN set -eux; \
    find crates migration -type f -exec touch {} +; \
    cargo build --release --locked -p taskpulse-api; \
    install -D -m 0755 target/release/taskpulse /out/taskpulse

# ---------------------------------------------------------------------------
# Runtime stage
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# ca-certificates for TLS to external services, curl for the health check.
# Versions are not pinned: Debian drops superseded versions from its mirrors,
# so pins would break rebuilds; bookworm's security updates are wanted.
# hadolint ignore=DL3008
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    rm -rf /var/lib/apt/lists/*

RUN set -eux; \
    groupadd --system --gid 10001 taskpulse; \
    useradd --system --uid 10001 --gid taskpulse --home-dir /app \
        --no-create-home --shell /usr/sbin/nologin taskpulse; \
    mkdir -p /app/data; \
    chown taskpulse:taskpulse /app/data

WORKDIR /app
COPY --from=build /out/taskpulse /usr/local/bin/taskpulse
COPY config/ /app/config/

# Settings, lowest precedence first: config/default.toml, production's
# defaults built into the binary (HSTS, JSON logs, /metrics on loopback),
# config/production.toml, TASKPULSE__SECTION__KEY, then the plain names
# DATABASE_URL, SECRET_KEY, HOST and PORT (which win over these).
ENV APP_ENV=production \
    TASKPULSE__SERVER__HOST=0.0.0.0 \
    TASKPULSE__DATABASE__URL=sqlite:///app/data/taskpulse.db

USER 10001:10001
EXPOSE 8000

# /health answers 200, or 503 when the database is unreachable. (Serving on
# another port? Override the health check too, e.g. in docker-compose.yml.)
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/health"]

# Exec form: taskpulse is PID 1 and gets SIGTERM for a graceful stop.
ENTRYPOINT ["taskpulse"]
CMD ["serve"]
