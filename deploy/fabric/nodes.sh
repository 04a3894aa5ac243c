#!/usr/bin/env bash
# Start or stop one node of the native network, detached, with its pid in $FABRIC_NET/run/<node>.pid
# and its log in $FABRIC_NET/logs/<node>.log.
#
#   nodes.sh start|stop|status orderer<i>|peer<o>|chaincode<o>
#
# i is 1..FABRIC_ORDERERS; o is 1 (PortAuthority) or 2 (Customs). `start` on a running node and `stop` on
# a stopped one are no-ops. The fault tests use this to stop a peer or the Raft leader and restart it.
source "$(dirname "$0")/common.sh"

CRYPTO="$FABRIC_NET/crypto"
RUN="$FABRIC_NET/run"
LOGS="$FABRIC_NET/logs"
mkdir -p "$RUN" "$LOGS"

running() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

env_orderer() {
    local i="$1" dir="$CRYPTO/ordererOrganizations/orderer.cargotrail.test/orderers/orderer$1.orderer.cargotrail.test"
    local data="$FABRIC_NET/data/orderer$i"
    export FABRIC_CFG_PATH="$FABRIC_NET/config" FABRIC_LOGGING_SPEC=INFO
    export ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 ORDERER_GENERAL_LISTENPORT="$(orderer_port "$i")"
    export ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR="$dir/msp"
    export ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$dir/tls/server.key"
    export ORDERER_GENERAL_TLS_CERTIFICATE="$dir/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$dir/tls/ca.crt]"
    export ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true
    export ORDERER_FILELEDGER_LOCATION="$data" ORDERER_CONSENSUS_WALDIR="$data/wal"
    export ORDERER_CONSENSUS_SNAPDIR="$data/snap"
    export ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(orderer_ops_port "$i")"
    # Prometheus metrics on the operations port: consensus_etcdraft_is_leader tells who leads.
    export ORDERER_METRICS_PROVIDER=prometheus
    export ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$(orderer_admin_port "$i")"
    export ORDERER_ADMIN_TLS_ENABLED=true ORDERER_ADMIN_TLS_PRIVATEKEY="$dir/tls/server.key"
    export ORDERER_ADMIN_TLS_CERTIFICATE="$dir/tls/server.crt" ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
    export ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$dir/tls/ca.crt]"
}

env_peer() {
    local o="$1" org host
    org="$(org_name "$o").cargotrail.test" && host="peer0.$org"
    local dir="$CRYPTO/peerOrganizations/$org/peers/$host" data="$FABRIC_NET/data/peer$o"
    export FABRIC_CFG_PATH="$FABRIC_NET/config" FABRIC_LOGGING_SPEC=INFO
    export CORE_PEER_ID="$host" CORE_PEER_LOCALMSPID="$(org_msp "$o")" CORE_PEER_MSPCONFIGPATH="$dir/msp"
    export CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$o")" CORE_PEER_LISTENADDRESS="127.0.0.1:$(peer_port "$o")"
    export CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$(peer_cc_port "$o")"
    export CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$(peer_cc_port "$o")"
    # Without an external endpoint the other organisation never sees this peer (Gateway, discovery).
    export CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$(peer_port "$o")"
    export CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$(peer_port "$o")"
    # Re-dial a missing peer every 2 s, not 25 s: the Gateway cannot endorse with both organisations
    # until each peer sees the other, after start-up and after a restart alike.
    export CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=10s
    export CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE="$dir/tls/server.crt"
    export CORE_PEER_TLS_KEY_FILE="$dir/tls/server.key" CORE_PEER_TLS_ROOTCERT_FILE="$dir/tls/ca.crt"
    export CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$(peer_ops_port "$o")"
    export CORE_PEER_FILESYSTEMPATH="$data" CORE_LEDGER_SNAPSHOTS_ROOTDIR="$data/snapshots"
    # Each peer's ccaas builder fills connection.json's {{.address}} with its own chaincode process.
    export CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG="{\"address\":\"127.0.0.1:$(ccaas_port "$o")\"}"
}

start() {
    local node="$1" n="${1//[!0-9]/}"
    running "$node" && { say "$node already running (pid $(cat "$RUN/$node.pid"))"; return 0; }
    case "$node" in
    orderer[1-9])
        # The crypto material, not the environment, says how many orderers this network has.
        [[ -d "$CRYPTO/ordererOrganizations/orderer.cargotrail.test/orderers/$node.orderer.cargotrail.test" ]] ||
            die "$node: this network has no such orderer"
        env_orderer "$n" && set -- "$FABRIC_BIN/orderer" && port=$(orderer_admin_port "$n") ;;
    peer[12]) env_peer "$n" && set -- "$FABRIC_BIN/peer" node start && port=$(peer_port "$n") ;;
    chaincode[12])
        [[ -f "$FABRIC_NET/chaincode.id" ]] || die "$node: no chaincode package id yet (run up.sh)"
        export CHAINCODE_ID="$(cat "$FABRIC_NET/chaincode.id")"
        export CHAINCODE_SERVER_ADDRESS="127.0.0.1:$(ccaas_port "$n")"
        set -- "$FABRIC_CACHE/anchors-chaincode" && port=$(ccaas_port "$n") ;;
    *) die "unknown node '$node' (orderer1..$FABRIC_ORDERERS, peer1, peer2, chaincode1, chaincode2)" ;;
    esac
    say "starting $node on 127.0.0.1:$port (log $LOGS/$node.log)"
    setsid "$@" >>"$LOGS/$node.log" 2>&1 </dev/null &
    echo $! >"$RUN/$node.pid"
    wait_port "$port" 30 "$node"
    running "$node" || die "$node exited at start: $(tail -5 "$LOGS/$node.log")"
}

stop() {
    local node="$1" pid i
    running "$node" || { rm -f "$RUN/$node.pid"; return 0; }
    pid=$(cat "$RUN/$node.pid")
    say "stopping $node (pid $pid)"
    kill "$pid"
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$RUN/$node.pid"
}

case "${1:-}" in
start) start "${2:?node}" ;;
stop) stop "${2:?node}" ;;
status) running "${2:?node}" && echo running || { echo stopped; exit 3; } ;;
*) die "usage: nodes.sh start|stop|status <node>" ;;
esac
