#!/usr/bin/env bash
# Stop every node of the native network (chaincode processes, peers, orderers). With --purge, also
# delete $FABRIC_NET (crypto, ledgers): the next up.sh starts from scratch. Binaries are kept.
source "$(dirname "$0")/common.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
if [[ -d "$FABRIC_NET/run" ]]; then
    for f in "$FABRIC_NET"/run/*.pid; do
        [[ -e "$f" ]] && "$HERE/nodes.sh" stop "$(basename "$f" .pid)"
    done
fi
if [[ "${1:-}" == "--purge" ]]; then
    say "removing $FABRIC_NET"
    rm -rf "$FABRIC_NET"
fi
say "Fabric network stopped"
