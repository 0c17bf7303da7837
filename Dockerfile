# juhe-mock, the fake of Juhe's 在网时长 sha256 API, as a container for CI services.
#   docker build -t juhe-mock .
#   docker run --rm -p 8000:8000 juhe-mock                       # built-in defaults
#   docker run --rm -p 8000:8000 -v "$PWD/fixtures:/fixtures:ro" juhe-mock \
#       --scenarios /fixtures/stand-in.yaml                      # extra args go to juhe-mock
# The admin API answers loopback only, so the HEALTHCHECK (run inside the container) can use
# it; started with --admin-token, also set JUHE_MOCK_ADMIN_TOKEN for the healthcheck.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contract ./contract
COPY mock_server ./mock_server
COPY client ./client
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin juhe
USER juhe
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; t = os.environ.get('JUHE_MOCK_ADMIN_TOKEN'); r = u.Request('http://127.0.0.1:8000/__admin/health', headers={'X-Admin-Token': t} if t else {}); u.urlopen(r, timeout=2)"]
ENTRYPOINT ["juhe-mock", "--host", "0.0.0.0", "--port", "8000"]
