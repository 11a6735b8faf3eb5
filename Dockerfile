# syntax=docker/dockerfile:1
#
# Holler container image.
#
#   docker build -t holler --build-arg VERSION=$(git describe --tags --always) .
#   docker run -p 8080:8080 -v holler-data:/data holler
#
# With no HOLLER_DATABASE_URL the server keeps its embedded SQLite store in
# /data (mount a volume there). See deploy/ for PostgreSQL + replicas.

# ---- build ------------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Download modules in their own layer so a source change does not refetch them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
# .git is not in the build context, so the version (shown by `holler version`,
# /healthz and holler_build_info) comes in as a build argument.
ARG VERSION=dev
# CGO_ENABLED=0: the SQLite driver is pure Go, so the binary is fully static
# and runs on distroless/static (no libc).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X holler/server/internal/buildinfo.version=${VERSION}" -o /out/holler ./server

# distroless has no shell to mkdir/chown with, so the data directory is made
# here and copied over with the right owner (65532 = distroless "nonroot").
RUN mkdir -p /out/data

# ---- runtime ----------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/holler /holler
COPY --from=build --chown=65532:65532 /out/data /data

USER nonroot:nonroot
ENV HOLLER_DATA_DIR=/data \
    HOLLER_ADDR=:8080
VOLUME /data
EXPOSE 8080

# `holler healthcheck` GETs http://127.0.0.1:8080/healthz and exits 0 or 1;
# distroless has no curl/wget, so the binary checks itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/holler", "healthcheck"]

ENTRYPOINT ["/holler"]
