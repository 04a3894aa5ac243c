# cargotrail application image: the CLI, the embedded pipeline, the services and the dashboard.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY cargotrail ./cargotrail
COPY geofence ./geofence
COPY streams ./streams
COPY ledger ./ledger
COPY store ./store
COPY services ./services
COPY dashboards ./dashboards
RUN pip install --no-cache-dir .
ENV CARGOTRAIL_DATA_DIR=/data
VOLUME /data
EXPOSE 8501
CMD ["cargotrail", "demo"]
