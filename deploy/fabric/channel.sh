# The channel and chaincode setup shared by up.sh (native) and compose-channel.sh (docker-compose):
# sourced after common.sh, never run. Every step checks first and skips what is done.
#
#   join_orderer I     orderer I joins $FABRIC_CHANNEL through the channel participation API (osnadmin)
#   join_peer O        organisation O's peer joins the channel
#   package_chaincode  the ccaas package (connection.json + metadata.json); sets CCID, writes chaincode.id
#   install_chaincode O
#   commit_chaincode   approved by both organisations, committed with AND(PortAuthority, Customs)
#   client_env         the CARGOTRAIL_FABRIC_* settings of a client of the PortAuthority peer (the
#                      org CAs include OrdererMSP's, so that block signatures are checked too)
#
# PEER_CFG is the folder with the peer CLI's core.yaml (native: $FABRIC_NET/config).

CRYPTO="$FABRIC_NET/crypto"
PEER_CFG="${PEER_CFG:-$FABRIC_NET/config}"
ORD_TLS_CA="$CRYPTO/ordererOrganizations/orderer.cargotrail.test/tlsca/tlsca.orderer.cargotrail.test-cert.pem"
ORD_ADMIN_TLS="$CRYPTO/ordererOrganizations/orderer.cargotrail.test/users/Admin@orderer.cargotrail.test/tls"
POLICY="AND('PortAuthorityMSP.peer','CustomsMSP.peer')"
PKG="$FABRIC_NET/$FABRIC_CHAINCODE.tgz"

tls_ca() { local org; org="$(org_name "$1").cargotrail.test"; echo "$CRYPTO/peerOrganizations/$org/tlsca/tlsca.$org-cert.pem"; }
peer_addr() { echo "$(peer_host "$1"):$(peer_port "$1")"; }

peer_admin() { # run the peer CLI as organisation $1's admin against its peer
    local o="$1" org
    org="$(org_name "$o").cargotrail.test"
    shift
    FABRIC_CFG_PATH="$PEER_CFG" CORE_PEER_TLS_ENABLED=true CORE_PEER_LOCALMSPID="$(org_msp "$o")" \
        CORE_PEER_ADDRESS="$(peer_addr "$o")" FABRIC_LOGGING_SPEC=WARN CORE_PEER_TLS_ROOTCERT_FILE="$(tls_ca "$o")" \
        CORE_PEER_MSPCONFIGPATH="$CRYPTO/peerOrganizations/$org/users/Admin@$org/msp" "$FABRIC_BIN/peer" "$@"
}

join_orderer() {
    local i="$1" out
    local osn=(--orderer-address "$(orderer_host "$i"):$(orderer_admin_port "$i")" --ca-file "$ORD_TLS_CA"
        --client-cert "$ORD_ADMIN_TLS/client.crt" --client-key "$ORD_ADMIN_TLS/client.key")
    # osnadmin exits 0 on HTTP errors too: read the status it prints.
    "$FABRIC_BIN/osnadmin" channel list "${osn[@]}" --channelID "$FABRIC_CHANNEL" 2>&1 | grep -q "Status: 200" && return 0
    say "osnadmin: orderer$i joins channel $FABRIC_CHANNEL"
    out=$("$FABRIC_BIN/osnadmin" channel join "${osn[@]}" --channelID "$FABRIC_CHANNEL" \
        --config-block "$FABRIC_NET/$FABRIC_CHANNEL.block" 2>&1) && grep -q "Status: 201" <<<"$out" ||
        die "orderer$i join failed: $out"
}

join_peer() {
    local o="$1"
    peer_admin "$o" channel list 2>/dev/null | grep -qx "$FABRIC_CHANNEL" && return 0
    say "peer$o ($(org_msp "$o")) joins channel $FABRIC_CHANNEL"
    retry_transient "peer$o join" peer_admin "$o" channel join -b "$FABRIC_NET/$FABRIC_CHANNEL.block"
}

package_chaincode() {
    if [[ ! -f "$PKG" ]]; then
        say "packaging $FABRIC_CHAINCODE (ccaas: connection.json + metadata.json)"
        local tmp
        tmp=$(mktemp -d)
        printf '{"address":"{{.address}}","dial_timeout":"10s","tls_required":false}\n' >"$tmp/connection.json"
        printf '{"type":"ccaas","label":"%s_1"}\n' "$FABRIC_CHAINCODE" >"$tmp/metadata.json"
        # Fixed owners, order and times: the same package bytes, so the same package id, on every rerun.
        local tar=(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp")
        "${tar[@]}" -cf - connection.json | gzip -n >"$tmp/code.tar.gz"
        "${tar[@]}" -cf - code.tar.gz metadata.json | gzip -n >"$PKG"
        rm -rf "$tmp"
    fi
    CCID=$(peer_admin 1 lifecycle chaincode calculatepackageid "$PKG") || die "cannot compute the package id of $PKG"
    echo "$CCID" >"$FABRIC_NET/chaincode.id"
}

install_chaincode() {
    local o="$1" out
    peer_admin "$o" lifecycle chaincode queryinstalled 2>/dev/null | grep -q "$CCID" && return 0
    say "installing $CCID on peer$o"
    out=$(peer_admin "$o" lifecycle chaincode install "$PKG" 2>&1) || die "install on peer$o failed: $out"
}

commit_chaincode() {
    local o ord=(-o "$(orderer_host 1):$(orderer_port 1)" --tls --cafile "$ORD_TLS_CA")
    peer_admin 1 lifecycle chaincode querycommitted -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" >/dev/null 2>&1 && return 0
    for o in 1 2; do
        say "$(org_msp "$o") approves $FABRIC_CHAINCODE with endorsement policy $POLICY"
        retry_transient "approve by $(org_msp "$o")" peer_admin "$o" lifecycle chaincode approveformyorg "${ord[@]}" \
            -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" -v 1 --sequence 1 --package-id "$CCID" \
            --signature-policy "$POLICY" --waitForEvent
    done
    say "committing $FABRIC_CHAINCODE on $FABRIC_CHANNEL"
    retry_transient "commit of $FABRIC_CHAINCODE" peer_admin 1 lifecycle chaincode commit "${ord[@]}" \
        -C "$FABRIC_CHANNEL" -n "$FABRIC_CHAINCODE" -v 1 --sequence 1 --signature-policy "$POLICY" --waitForEvent \
        --peerAddresses "$(peer_addr 1)" --tlsRootCertFiles "$(tls_ca 1)" \
        --peerAddresses "$(peer_addr 2)" --tlsRootCertFiles "$(tls_ca 2)"
}

client_env() {
    local pa="$CRYPTO/peerOrganizations/portauthority.cargotrail.test" cu="$CRYPTO/peerOrganizations/customs.cargotrail.test"
    local ord="$CRYPTO/ordererOrganizations/orderer.cargotrail.test"
    cat <<ENV
CARGOTRAIL_FABRIC_PEER=$(peer_addr 1)
CARGOTRAIL_FABRIC_TLS_CA=$(tls_ca 1)
CARGOTRAIL_FABRIC_MSP_ID=$(org_msp 1)
CARGOTRAIL_FABRIC_MSP_DIR=$pa/users/User1@portauthority.cargotrail.test/msp
CARGOTRAIL_FABRIC_CHANNEL=$FABRIC_CHANNEL
CARGOTRAIL_FABRIC_CHAINCODE=$FABRIC_CHAINCODE
CARGOTRAIL_FABRIC_ORG_CAS=$(org_msp 1)=$pa/ca/ca.portauthority.cargotrail.test-cert.pem,$(org_msp 2)=$cu/ca/ca.customs.cargotrail.test-cert.pem,OrdererMSP=$ord/ca/ca.orderer.cargotrail.test-cert.pem
ENV
}
