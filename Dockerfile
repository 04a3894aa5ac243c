# cargotrail application image: the CLI, the embedded pipeline, the services and the dashboard.

# Leaflet and Leaflet.draw for the Zones page's drawing map (what deploy/web.mk does for `make install`),
# so that drawing a zone in the image needs no CDN either.
FROM node:20-slim AS web
WORKDIR /web
RUN for spec in leaflet@1.9.4 leaflet-draw@1.0.4; do \
      name=${spec%@*}; mkdir -p out/$name; \
      tar -xzf "$(npm pack --silent $spec)" -C out/$name --strip-components=1 --wildcards 'package/dist/*' package/package.json; \
    done

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY cargotrail ./cargotrail
COPY geofence ./geofence
COPY streams ./streams
COPY ledger ./ledger
COPY store ./store
COPY services ./services
COPY dashboards ./dashboards
# The Merkle accelerator (ledger/core/_merkle.c) needs a compiler and OpenSSL's headers
# at build time only.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && CARGOTRAIL_REQUIRE_NATIVE=1 pip install --no-cache-dir ".[kafka]" \
    && apt-get purge -y gcc libc6-dev libssl-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=web /web/out /usr/local/share/cargotrail/web
ENV CARGOTRAIL_DATA_DIR=/data
VOLUME /data
EXPOSE 8501
CMD ["cargotrail", "demo"]
