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
CRYPTO="$FABRIC_NET/crypto"
ORD_TLS_CA="$CRYPTO/ordererOrganizations/orderer.cargotrail.test/tlsca/tlsca.orderer.cargotrail.test-cert.pem"
POLICY="AND('PortAuthorityMSP.peer','CustomsMSP.peer')"
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

# --- orderers ------------------------------------------------------------------------------------
ADMIN_TLS="$CRYPTO/ordererOrganizations/orderer.cargotrail.test/users/Admin@orderer.cargotrail.test/tls"
for ((i = 1; i <= FABRIC_ORDERERS; i++)); do
    "$HERE/nodes.sh" start "orderer$i"
    osn=(--orderer-address "127.0.0.1:$(orderer_admin_port "$i")" --ca-file "$ORD_TLS_CA"
        --client-cert "$ADMIN_TLS/client.crt" --client-key "$ADMIN_TLS/client.key")
    # osnadmin exits 0 on HTTP errors too: read the status it prints.
    if ! "$FABRIC_BIN/osnadmin" channel list "${osn[@]}" --channelID "$FABRIC_CHANNEL" 2>&1 | grep -q "Status: 200"; then
        say "osnadmin: orderer$i joins channel $FABRIC_CHANNEL"
        out=$("$FABRIC_BIN/osnadmin" channel join "${osn[@]}" --channelID "$FABRIC_CHANNEL" \
            --config-block "$FABRIC_NET/$FABRIC_CHANNEL.block" 2>&1) && grep -q "Status: 201" <<<"$out" ||
            die "orderer$i join failed: $out"
    fi
done

# --- peers ---------------------------------------------------------------------------------------
peer_admin() { # run the peer CLI as organisation $1's admin against its peer
    local o="$1" org
    org="$(org_name "$o").cargotrail.test"
    shift
    FABRIC_CFG_PATH="$FABRIC_NET/config" CORE_PEER_TLS_ENABLED=true CORE_PEER_LOCALMSPID="$(org_msp "$o")" \
        CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$o")" FABRIC_LOGGING_SPEC=WARN \
        CORE_PEER_TLS_ROOTCERT_FILE="$CRYPTO/peerOrganizations/$org/tlsca/tlsca.$org-cert.pem" \
        CORE_PEER_MSPCONFIGPATH="$CRYPTO/peerOrganizations/$org/users/Admin@$org/msp" "$FABRIC_BIN/peer" "$@"
}
tls_ca() { local org; org="$(org_name "$1").cargotrail.test"; echo "$CRYPTO/peerOrganizations/$org/tlsca/tlsca.$org-cert.pem"; }
ORD=(-o "127.0.0.1:$(orderer_port 1)" --tls --cafile "$ORD_TLS_CA")

for o in 1 2; do "$HERE/nodes.sh" start "peer$o"; done
for o in 1 2; do
    if ! peer_admin "$o" channel list 2>/dev/null | grep -qx "$FABRIC_CHANNEL"; then
        say "peer$o ($(org_msp "$o")) joins channel $FABRIC_CHANNEL"
        out=$(peer_admin "$o" channel join -b "$FABRIC_NET/$FABRIC_CHANNEL.block" 2>&1) || die "peer$o join failed: $out"
    fi
done

# --- chaincode as a service ----------------------------------------------------------------------
PKG="$FABRIC_NET/$FABRIC_CHAINCODE.tgz"
if [[ ! -f "$PKG" ]]; then
    say "packaging $FABRIC_CHAINCODE (ccaas: connection.json + metadata.json)"
    tmp=$(mktemp -d)
    printf '{"address":"{{.address}}","dial_timeout":"10s","tls_required":false}\n' >"$tmp/connection.json"
    printf '{"type":"ccaas","label":"%s_1"}\n' "$FABRIC_CHAINCODE" >"$tmp/metadata.json"
    # Fixed owners, order and times: the same package bytes, so the same package id, on every rerun.
    tar=(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp")
    "${tar[@]}" -cf - connection.json | gzip -n >"$tmp/code.tar.gz"
    "${tar[@]}" -cf - code.tar.gz metadata.json | gzip -n >"$PKG"
    rm -rf "$tmp"
fi
CCID=$(peer_admin 1 lifecycle chaincode calculatepackageid "$PKG") || die "cannot compute the package id of $PKG"
echo "$CCID" >"$FABRIC_NET/chaincode.id"
for o in 1 2; do
    if ! peer_admin "$o" lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$CCID"; then
        say "installing $CCID on peer$o"
        out=$(peer_admin "$o" lifecycle chaincode install "$PKG" 2>&1) || die "install on peer$o failed: $out"
    fi
    "$HERE/nodes.sh" start "chaincode$o"
done
if ! peer_admin 1 lifecycle chaincode querycommitted -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" >/dev/null 2>&1; then
    for o in 1 2; do
        say "$(org_msp "$o") approves $FABRIC_CHAINCODE with endorsement policy $POLICY"
        retry_transient "approve by $(org_msp "$o")" peer_admin "$o" lifecycle chaincode approveformyorg "${ORD[@]}" \
            -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" -v 1 --sequence 1 --package-id "$CCID" \
            --signature-policy "$POLICY" --waitForEvent
    done
    say "committing $FABRIC_CHAINCODE on $FABRIC_CHANNEL"
    retry_transient "commit of $FABRIC_CHAINCODE" peer_admin 1 lifecycle chaincode commit "${ORD[@]}" \
        -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" -v 1 --sequence 1 --signature-policy "$POLICY" --waitForEvent \
        --peerAddresses "127.0.0.1:$(peer_port 1)" --tlsRootCertFiles "$(tls_ca 1)" \
        --peerAddresses "127.0.0.1:$(peer_port 2)" --tlsRootCertFiles "$(tls_ca 2)"
fi

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

user="$CRYPTO/peerOrganizations/portauthority.cargotrail.test/users/User1@portauthority.cargotrail.test/msp"
cat >"$FABRIC_NET/env" <<ENV
CARGOTRAIL_FABRIC_PEER=127.0.0.1:$(peer_port 1)
CARGOTRAIL_FABRIC_TLS_CA=$(tls_ca 1)
CARGOTRAIL_FABRIC_MSP_ID=PortAuthorityMSP
CARGOTRAIL_FABRIC_MSP_DIR=$user
CARGOTRAIL_FABRIC_CHANNEL=$FABRIC_CHANNEL
CARGOTRAIL_FABRIC_CHAINCODE=$FABRIC_CHAINCODE
CARGOTRAIL_FABRIC_ORG_CAS=PortAuthorityMSP=$CRYPTO/peerOrganizations/portauthority.cargotrail.test/ca/ca.portauthority.cargotrail.test-cert.pem,CustomsMSP=$CRYPTO/peerOrganizations/customs.cargotrail.test/ca/ca.customs.cargotrail.test-cert.pem
ENV
say "Fabric network up in $(($(date +%s) - t0))s: channel $FABRIC_CHANNEL, chaincode $FABRIC_CHAINCODE, $FABRIC_ORDERERS orderer(s); settings in $FABRIC_NET/env"
