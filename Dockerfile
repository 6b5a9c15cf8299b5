# Production image: the API served by uvicorn.  Configure DATABASE_URL (owner,
# for migrations) and APP_DATABASE_URL (the non-owner application role).
#
# Two stages: the first builds the wheel from the sources, the second installs that wheel (not editable)
# with the pinned versions of constraints.txt.  The runtime image holds no source tree, only what the wheel
# holds: the code, the migrations, the curated tenants and the frontend contract (found through the
# installed package: TENANTS_DIR and FRONTEND_CONTRACT_DIR default to its copies).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
# kkr/ holds the symbolic links that map the folders into the `kkr` package; the wheel gets real copies.
COPY kkr kkr
COPY platform platform
COPY schema schema
COPY migrations migrations
COPY tenants tenants
COPY frontend-contract frontend-contract
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENVIRONMENT=production HOST=0.0.0.0 PORT=8000
RUN useradd --create-home --uid 10001 kkr
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir -c /tmp/constraints.txt /tmp/wheels/*.whl && rm -rf /tmp/wheels /tmp/constraints.txt

# An empty working directory: nothing is read from it (an optional .env file at most).
WORKDIR /app
USER kkr
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["kkr", "serve"]
