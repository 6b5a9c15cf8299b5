# Production image: the API served by uvicorn.  Configure DATABASE_URL (owner,
# for migrations) and APP_DATABASE_URL (the non-owner application role).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENVIRONMENT=production HOST=0.0.0.0 PORT=8000
WORKDIR /app
RUN useradd --create-home --uid 10001 kkr

COPY pyproject.toml setup.py README.md alembic.ini constraints.txt ./
COPY platform platform
COPY schema schema
COPY migrations migrations
COPY tenants tenants
COPY frontend-contract frontend-contract
RUN pip install --no-cache-dir -c constraints.txt -e .

USER kkr
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["kkr", "serve"]
