# Hyperledger Fabric 3.1 (native: binaries built with Go into ~/.cache/cargotrail/fabric, no Docker)
# for the integration tests. `make fabric-up` builds (cached), generates crypto, starts a Raft
# orderer (FABRIC_ORDERERS=3 for three), two peers (PortAuthorityMSP, CustomsMSP) and the anchors
# chaincode as a service, on 127.0.0.1:27000-27300; `make fabric-down` stops it;
# `make fabric-clean` also deletes its state. `make chaincode-test` runs the chaincode's Go tests.
#
# The Go module proxy our machines reach refuses github.com/hyperledger/fabric, so deploy/fabric/build.sh
# builds from a git clone of it: FABRIC_GIT_MIRROR names a folder of clones (hyperledger+fabric/repo).
FABRIC_NET ?= $(HOME)/.cache/cargotrail/fabric-net
FABRIC_ORDERERS ?= 1
FABRIC_GIT_MIRROR ?= $(wildcard /work/.mirror)
export FABRIC_NET FABRIC_ORDERERS FABRIC_GIT_MIRROR
# The integration tests (tests/ledger/fabric) read the settings file fabric-up writes.
export CARGOTRAIL_TEST_FABRIC_ENV ?= $(FABRIC_NET)/env
FABRIC_GO_ENV := GOWORK=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
	GOMODCACHE=$(HOME)/.cache/cargotrail/fabric/gomod GOCACHE=$(HOME)/.cache/cargotrail/fabric/gocache

.PHONY: fabric-up fabric-down fabric-clean chaincode-test

chaincode-test:
	@echo "==> go test ledger/chaincode"
	@cd ledger/chaincode && $(FABRIC_GO_ENV) go vet ./... && $(FABRIC_GO_ENV) go test -count=1 ./...

fabric-up: chaincode-test
	@bash deploy/fabric/up.sh

fabric-down:
	@bash deploy/fabric/down.sh

fabric-clean:
	@bash deploy/fabric/down.sh --purge

.PHONY: test-fabric
# Not part of `make test`: a fresh machine cannot build the Fabric binaries (the Go module
# proxy refuses github.com/hyperledger/fabric and no other reachable registry ships them).
# The chaincode's Go tests need only the proxy, so they are.
TEST_SERVICES += chaincode-test

test-fabric: install fabric-up
	$(BIN)/pytest -m fabric tests/ledger/fabric
