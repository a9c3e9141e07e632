# syntax=docker/dockerfile:1
# A slim image that serves a prodml project: `prodml serve` is the entry point.
#
#   docker build -t prodml .
#   docker run -p 8080:8080 -v "$PWD/my-project:/project" \
#       -e PRODML_API_TOKEN -e PRODML_ADMIN_TOKEN prodml
#
# The project folder (prodml.yaml and its .prodml store, or PRODML_STORE_URL pointing at a
# shared PostgreSQL store) is mounted at /project; the prediction log is written under
# /project/.prodml/predictions unless PRODML_LOG_DIR says otherwise. Tokens come from the
# environment only. Dependencies are the pinned ones of constraints.txt; dev tools are not
# installed.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN python -m venv /opt/prodml \
    && /opt/prodml/bin/pip install -c constraints.txt . \
    && find /opt/prodml -name '__pycache__' -type d -prune -exec rm -rf {} +

FROM python:3.11-slim-bookworm
# LightGBM needs the OpenMP runtime; nothing else comes from apt. (Not pinned: the base image's
# Debian release fixes its version, and security updates must get in on a rebuild.)
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 prodml
COPY --from=build /opt/prodml /opt/prodml
ENV PATH=/opt/prodml/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001
WORKDIR /project
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/v2/health/ready', timeout=2).status != 200)"]
# SIGTERM (docker stop) drains requests in flight and flushes the prediction log.
STOPSIGNAL SIGTERM
ENTRYPOINT ["prodml", "serve", "--project", "/project", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--workers", "1"]
