#!/usr/bin/env bash
# Generate the network's crypto material (cryptogen) and the channel genesis block (configtxgen) in
# $FABRIC_NET. Idempotent: existing material is kept (delete $FABRIC_NET, or `make fabric-clean`, to renew).
# Node addresses follow FABRIC_HOSTS (common.sh): the native network and docker-compose's share this.
# Organisations: OrdererOrg (OrdererMSP), PortAuthority (PortAuthorityMSP), Customs (CustomsMSP).
source "$(dirname "$0")/common.sh"

CRYPTO="$FABRIC_NET/crypto"
GENESIS="$FABRIC_NET/$FABRIC_CHANNEL.block"
[[ -x "$FABRIC_BIN/cryptogen" ]] || die "no cryptogen in $FABRIC_BIN: run deploy/fabric/build.sh first"
mkdir -p "$FABRIC_NET"

orderer_hosts() { local i; for ((i = 1; i <= FABRIC_ORDERERS; i++)); do echo "orderer$i"; done; }

if [[ ! -f "$CRYPTO/.done" ]]; then
    say "cryptogen: OrdererOrg ($FABRIC_ORDERERS orderer(s)), PortAuthority, Customs -> $CRYPTO"
    {
        echo "OrdererOrgs:"
        echo "  - {Name: Orderer, Domain: orderer.cargotrail.test, EnableNodeOUs: true, Specs: ["
        orderer_hosts | sed 's/.*/      {Hostname: &, SANS: [127.0.0.1, localhost]},/'
        echo "    ]}"
        echo "PeerOrgs:"
        for o in 1 2; do
            echo "  - {Name: $(org_msp "$o" | sed 's/MSP$//'), Domain: $(org_name "$o").cargotrail.test,"
            echo "     EnableNodeOUs: true, Template: {Count: 1, SANS: [127.0.0.1, localhost]}, Users: {Count: 1}}"
        done
    } >"$FABRIC_NET/crypto-config.yaml"
    rm -rf "$CRYPTO"
    "$FABRIC_BIN/cryptogen" generate --config="$FABRIC_NET/crypto-config.yaml" --output="$CRYPTO" >/dev/null
    touch "$CRYPTO/.done"
fi

if [[ ! -f "$GENESIS" ]]; then
    say "configtxgen: channel $FABRIC_CHANNEL, etcdraft with $FABRIC_ORDERERS consenter(s) -> $GENESIS"
    ord="$CRYPTO/ordererOrganizations/orderer.cargotrail.test"
    {
        cat <<YAML
Organizations:
  - &OrdererOrg
    Name: OrdererOrg
    ID: OrdererMSP
    MSPDir: $ord/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Writers: {Type: Signature, Rule: "OR('OrdererMSP.member')"}
      Admins: {Type: Signature, Rule: "OR('OrdererMSP.admin')"}
    OrdererEndpoints:
YAML
        for ((i = 1; i <= FABRIC_ORDERERS; i++)); do echo "      - $(orderer_host "$i"):$(orderer_port "$i")"; done
        for o in 1 2; do
            msp=$(org_msp "$o")
            cat <<YAML
  - &Org$o
    Name: $msp
    ID: $msp
    MSPDir: $CRYPTO/peerOrganizations/$(org_name "$o").cargotrail.test/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('$msp.admin', '$msp.peer', '$msp.client')"}
      Writers: {Type: Signature, Rule: "OR('$msp.admin', '$msp.client')"}
      Admins: {Type: Signature, Rule: "OR('$msp.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('$msp.peer')"}
    AnchorPeers:
      - {Host: $(peer_host "$o"), Port: $(peer_port "$o")}
YAML
        done
        cat <<YAML
Profiles:
  CargotrailRaft:
    Policies: &Meta
      Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
      Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    Capabilities: {V2_0: true}
    Orderer:
      OrdererType: etcdraft
      # A short BatchTimeout keeps anchor latency low; batches of records are already large.
      BatchTimeout: 500ms
      BatchSize: {MaxMessageCount: 100, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
      Organizations: [*OrdererOrg]
      Policies:
        <<: *Meta
        BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Capabilities: {V2_0: true}
      EtcdRaft:
        # 500 ms x 10 ticks: a new leader within ~5 s of losing one (Fabric's sample uses 2.5 s x 5).
        Options: {TickInterval: 500ms, ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5,
                  SnapshotIntervalSize: 16 MB}
        Consenters:
YAML
        for ((i = 1; i <= FABRIC_ORDERERS; i++)); do
            tls="$ord/orderers/orderer$i.orderer.cargotrail.test/tls/server.crt"
            echo "          - {Host: $(orderer_host "$i"), Port: $(orderer_port "$i"), ClientTLSCert: $tls, ServerTLSCert: $tls}"
        done
        cat <<YAML
    Application:
      Organizations: [*Org1, *Org2]
      Policies:
        <<: *Meta
        # Both organisations must endorse: the port authority and customs (MAJORITY of two is both).
        LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
        Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
      Capabilities: {V2_5: true}
YAML
    } >"$FABRIC_NET/configtx.yaml"
    FABRIC_CFG_PATH="$FABRIC_NET" "$FABRIC_BIN/configtxgen" -profile CargotrailRaft -channelID "$FABRIC_CHANNEL" \
        -outputBlock "$GENESIS.tmp" 2>"$FABRIC_NET/configtxgen.log" ||
        die "configtxgen failed: $(tail -3 "$FABRIC_NET/configtxgen.log")"
    mv "$GENESIS.tmp" "$GENESIS"
fi
