# The anchors chaincode (ledger/chaincode) as a service, for docker-compose's `fabric` profile.
# Build context: the repository root (`docker compose --profile fabric build`).
FROM golang:1.25 AS build
WORKDIR /src
COPY ledger/chaincode/go.mod ledger/chaincode/go.sum ./
RUN go mod download
COPY ledger/chaincode/*.go ./
RUN CGO_ENABLED=0 go build -trimpath -o /out/anchors .

FROM debian:bookworm-slim
COPY --from=build /out/anchors /usr/local/bin/anchors
USER 65534
# CHAINCODE_ID (the package id the peers installed) and CHAINCODE_SERVER_ADDRESS come from compose.
CMD ["anchors"]
