#!/usr/bin/env bash
# Bring the native Fabric network up, idempotently: build (cached), crypto + genesis block (kept),
# orderers joined to channel $FABRIC_CHANNEL through the channel participation API (osnadmin), both
# peers joined, chaincode "$FABRIC_CHAINCODE" installed, approved by both organisations and committed
# with an AND(PortAuthority, Customs) endorsement policy, its two ccaas processes running. Writes
# $FABRIC_NET/env with the CARGOTRAIL_FABRIC_* settings a client needs. Rerunning restarts whatever
# stopped and skips whatever is done.
source "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$HERE/channel.sh"
t0=$(date +%s)

"$HERE/build.sh"
"$HERE/crypto.sh"

mkdir -p "$FABRIC_NET/config"
if [[ ! -f "$FABRIC_NET/config/core.yaml" ]]; then
    say "peer/orderer configuration -> $FABRIC_NET/config (no Docker: empty vm.endpoint, ccaas builder)"
    sed -e "s|/opt/hyperledger/ccaas_builder|$FABRIC_BUILDER|" \
        -e 's|^\(  endpoint:\) unix:///var/run/docker.sock|\1 ""|' \
        "$FABRIC_CACHE/config/core.yaml" >"$FABRIC_NET/config/core.yaml"
    grep -q "path: $FABRIC_BUILDER" "$FABRIC_NET/config/core.yaml" || die "core.yaml: ccaas builder path not set"
    grep -q '^  endpoint: ""' "$FABRIC_NET/config/core.yaml" || die "core.yaml: vm.endpoint not emptied"
    cp "$FABRIC_CACHE/config/orderer.yaml" "$FABRIC_NET/config/"
fi

say "building the anchors chaincode (ledger/chaincode)"
(cd "$REPO/ledger/chaincode" && go build -o "$FABRIC_CACHE/anchors-chaincode" .) || die "chaincode build failed"
# A changed chaincode binary replaces running chaincode processes (same package id: ccaas only dials).
sum=$(sha256sum "$FABRIC_CACHE/anchors-chaincode" | cut -c1-64)
if [[ -f "$FABRIC_NET/run/chaincode.sha" && "$(cat "$FABRIC_NET/run/chaincode.sha")" != "$sum" ]]; then
    for o in 1 2; do "$HERE/nodes.sh" stop "chaincode$o"; done
fi
mkdir -p "$FABRIC_NET/run" && echo "$sum" >"$FABRIC_NET/run/chaincode.sha"

# --- orderers, peers, chaincode as a service (channel.sh) -----------------------------------------
for ((i = 1; i <= FABRIC_ORDERERS; i++)); do
    "$HERE/nodes.sh" start "orderer$i"
    join_orderer "$i"
done
for o in 1 2; do "$HERE/nodes.sh" start "peer$o"; done
for o in 1 2; do join_peer "$o"; done
package_chaincode
for o in 1 2; do
    install_chaincode "$o"
    "$HERE/nodes.sh" start "chaincode$o"
done
commit_chaincode

# --- ready? --------------------------------------------------------------------------------------
# The Gateway finds the other organisation's peer through gossip: wait until each peer's latest
# membership view holds the other one (endorsement by both is impossible before that).
for o in 1 2; do
    other="127.0.0.1:$(peer_port $((3 - o)))"
    for ((n = 0; ; n++)); do
        grep -a "Membership view has changed" "$FABRIC_NET/logs/peer$o.log" | tail -1 | grep -q "current view:.*$other" && break
        ((n < 120)) || die "peer$o never saw $other in gossip (see $FABRIC_NET/logs/peer$o.log)"
        sleep 0.5
    done
done
for o in 1 2; do
    for ((n = 0; ; n++)); do
        if out=$(peer_admin "$o" chaincode query -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" \
            -c '{"Args":["GetTip","readiness-probe"]}' 2>&1); then break; fi
        ((n < 60)) || die "chaincode not answering on peer$o: $out"
        sleep 1
    done
done

client_env >"$FABRIC_NET/env"
say "Fabric network up in $(($(date +%s) - t0))s: channel $FABRIC_CHANNEL, chaincode $FABRIC_CHAINCODE, $FABRIC_ORDERERS orderer(s); settings in $FABRIC_NET/env"
