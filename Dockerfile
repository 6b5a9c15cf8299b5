# Production image of the KKR platform: `kkr serve` (uvicorn, uvloop, httptools) as a non-root user.
#
#   docker build -t kkr .
#   docker run --rm -e DATABASE_URL=postgresql://owner:...@db/kkr kkr migrate       # upgrade the schema, then exit
#   docker run -d -p 8000:8000 -e DATABASE_URL=... -e APP_DATABASE_URL=... kkr      # = kkr serve
#
# Configuration comes from the environment only (README, "Settings (environment)"); an invalid value stops every
# command at start-up with exit status 2 and one line per bad variable on stderr.  DATABASE_URL is the owner
# (migrations), APP_DATABASE_URL the non-owner application role.  In production set both: without DATABASE_URL
# the platform would start an embedded PostgreSQL inside the container.
#
# Migrations: `migrate` is a command of its own (a one-off job or init container before a rollout).  `serve`
# also upgrades the schema before it listens (platform/cli.py, cmd_serve): idempotent, and serialised by an
# advisory lock (platform/migrate.py), so replicas started together are safe; when a separate job ran first
# it finds nothing to do.  Without DDL rights for the serving role, run `migrate` separately with the owner.
#
# Two stages: `build` turns the sources and their pinned dependencies (constraints.txt) into wheels; the final
# stage installs those wheels (the platform's wheel, not an editable checkout) from that folder only, with no
# index, compiler or source tree.  The wheel holds the code, the migrations, the curated tenants and the frontend
# contract (TENANTS_DIR and FRONTEND_CONTRACT_DIR default to its copies).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
# kkr/ holds the symbolic links that map the folders into the `kkr` package; the wheel gets real copies.
COPY kkr kkr
COPY platform platform
COPY schema schema
COPY migrations migrations
COPY tenants tenants
COPY frontend-contract frontend-contract
# The platform's wheel and a wheel of every runtime dependency, at the versions of constraints.txt.
RUN pip wheel --wheel-dir /wheels -c constraints.txt . \
    && ls /wheels/kkr_platform-*.whl

FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="kkr-platform" \
      org.opencontainers.image.description="One GraphQL platform for the five Danish KKR regions" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production HOST=0.0.0.0 PORT=8000
RUN groupadd --system --gid 10001 kkr \
    && useradd --system --uid 10001 --gid kkr --create-home --home-dir /home/kkr --shell /usr/sbin/nologin kkr
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheels /tmp/wheels/kkr_platform-*.whl \
    && rm -rf /tmp/wheels \
    && kkr --help > /dev/null

# An empty working directory: nothing is read from it (an optional .env file at most).
WORKDIR /app
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
# Liveness: /healthz answers 200 while the process serves HTTP (readiness, with the database, is /readyz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]
ENTRYPOINT ["kkr"]
CMD ["serve"]
