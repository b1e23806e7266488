FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# pg_dump and pg_restore for manage.py backup_create / backup_restore (docs/DEPLOYMENT.md);
# bookworm's client is 15, the major version of the db service (pinned for that reason).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY config ./config
COPY orgs ./orgs
COPY appraisal ./appraisal
COPY acceptance ./acceptance
COPY payroll ./payroll
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home app && mkdir -p /data && chown app /data
USER app
EXPOSE 8000
