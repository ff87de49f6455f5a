# Production image: `territory serve` workers in front of PostgreSQL/PostGIS.
#   docker build -t territory-mapper .
#   docker run -e TERRITORY_DATABASE_URL=postgresql+psycopg://user:pw@db/territory \
#              -e TERRITORY_BOOTSTRAP_ADMIN_TOKEN=... -e WEB_CONCURRENCY=4 -p 8000:8000 territory-mapper
# shapely, pyproj and pyogrio wheels carry GEOS, PROJ and GDAL, so the
# runtime needs no geospatial system packages.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY geo ./geo
COPY maps ./maps
RUN pip install ".[postgis]"

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 WEB_CONCURRENCY=2
COPY --from=build /opt/venv /opt/venv
RUN useradd --uid 1000 --create-home territory
USER territory
WORKDIR /home/territory
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# `territory serve` reads the worker count from WEB_CONCURRENCY and gives each
# worker a listening socket of its own (SO_REUSEPORT), so a proxy's pool of
# keep-alive connections is spread over all of them; the database URL and
# tokens come from TERRITORY_* variables at run time, never from the image.
# X-Forwarded-* is trusted from the addresses in FORWARDED_ALLOW_IPS (uvicorn's).
CMD ["territory", "serve", "--host", "0.0.0.0", "--port", "8000"]
