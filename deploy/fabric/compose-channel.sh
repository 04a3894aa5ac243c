#!/usr/bin/env bash
# docker-compose's one-shot channel setup (service fabric-channel, image hyperledger/fabric-tools), the
# counterpart of up.sh's second half: once the orderer and both peers listen, join them to channel
# $FABRIC_CHANNEL (osnadmin for the orderer), install the anchors ccaas package on both peers, approve
# and commit it with AND(PortAuthority, Customs) (channel.sh). The chaincode services start after this
# and read $FABRIC_NET/chaincode.id; $FABRIC_NET/env gets the settings of a client.
source "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/channel.sh"
[[ "$FABRIC_HOSTS" == compose ]] || die "compose-channel.sh sets up docker-compose's network: set FABRIC_HOSTS=compose"
[[ -f "$FABRIC_NET/$FABRIC_CHANNEL.block" ]] || die "no $FABRIC_NET/$FABRIC_CHANNEL.block: the fabric-setup service makes it"

for ((i = 1; i <= FABRIC_ORDERERS; i++)); do
    wait_port "$(orderer_admin_port "$i")" 120 "orderer$i" "$(orderer_host "$i")"
    join_orderer "$i"
done
for o in 1 2; do
    wait_port "$(peer_port "$o")" 120 "peer$o" "$(peer_host "$o")"
    join_peer "$o"
done
package_chaincode
for o in 1 2; do install_chaincode "$o"; done
commit_chaincode
client_env >"$FABRIC_NET/env"
say "channel $FABRIC_CHANNEL ready: $FABRIC_CHAINCODE ($CCID) committed; the chaincode services start next"
