FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
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
