# Kedge's image: one executable, every role (kedge server | controller | repo-server | ...).
#   docker build -t ghcr.io/kedge-cd/kedge:latest .
# Stage 1 builds the wheel; stage 2 installs it on a slim Python with git (the repo server
# shells out to git) and runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 999 --create-home --home-dir /home/kedge kedge
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 999
ENV HOME=/home/kedge PYTHONUNBUFFERED=1
EXPOSE 8080 8081
ENTRYPOINT ["/usr/bin/tini", "--", "kedge"]
CMD ["server", "--address", "0.0.0.0", "--port", "8080", "--insecure"]
