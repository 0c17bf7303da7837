# juhe-mock, the fake of Juhe's 在网时长 sha256 API, as a container for CI services.
#   docker build -t juhe-mock:0.1.0 .
#   docker run --rm -p 8000:8000 juhe-mock:0.1.0                      # built-in defaults
#   docker run --rm -p 8000:8000 juhe-mock:0.1.0 --scenarios quota-exhausted   # a shipped one
#   docker run --rm -p 8010:8010 juhe-mock:0.1.0 --port 8010          # args go to juhe-mock
#   docker run --rm -p 8000:8000 -v "$PWD/fixtures:/fixtures:ro" juhe-mock:0.1.0 \
#       --scenarios /fixtures/stand-in.yaml                           # your own files
# The admin API answers loopback only, so the HEALTHCHECK (run inside the container) can use
# it; it follows the --port and --admin-token given (or JUHE_MOCK_ADMIN_TOKEN).

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
# The check reads PID 1's arguments with juhe-mock's own parser, so it asks the port (and
# sends the admin token) the server was given: `docker run juhe-mock --port 8010` included.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-m", "mock_server.serve.healthcheck"]
ENTRYPOINT ["juhe-mock", "--host", "0.0.0.0", "--port", "8000"]
