# Shared settings for deploy/fabric/*.sh: sourced, never run. Everything lives outside the repo.
# Override any of these from the environment (the Makefile exports the same names).
set -euo pipefail

FABRIC_VERSION="${FABRIC_VERSION:-3.1.5}"
# v3.1.5 is this commit: the module has no /v3 suffix, so it is pinned by hash, not by tag.
FABRIC_COMMIT="${FABRIC_COMMIT:-86c1172bec37e6590c6b1ae6f847833df48d65fc}"
FABRIC_CACHE="${FABRIC_CACHE:-$HOME/.cache/cargotrail/fabric}"
FABRIC_BIN="${FABRIC_BIN:-$FABRIC_CACHE/bin}"
FABRIC_BUILDER="${FABRIC_BUILDER:-$FABRIC_CACHE/ccaas_builder}"
FABRIC_NET="${FABRIC_NET:-$HOME/.cache/cargotrail/fabric-net}"
# Raft orderers: 1 (quick mode, the default for tests) or 3.
FABRIC_ORDERERS="${FABRIC_ORDERERS:-1}"
FABRIC_CHANNEL="${FABRIC_CHANNEL:-cargotrail}"
FABRIC_CHAINCODE="${FABRIC_CHAINCODE:-anchors}"
# Where the module proxy refuses github.com/hyperledger/* (it does on our machines), sources come from
# git clones: FABRIC_GIT_MIRROR is a folder holding <owner>+<name>/repo or <name>.git clones.
FABRIC_GIT_MIRROR="${FABRIC_GIT_MIRROR:-}"
# A GOPROXY=file:// folder holding the hyperledger modules the chaincode needs (see goproxy.sh).
FABRIC_GOPROXY="${FABRIC_GOPROXY:-$FABRIC_CACHE/goproxy}"

# Go caches under ~/.cache so that a rerun is fast and nothing lands in the repo.
export GOMODCACHE="${GOMODCACHE_FABRIC:-$FABRIC_CACHE/gomod}"
export GOCACHE="${GOCACHE_FABRIC:-$FABRIC_CACHE/gocache}"
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-buildvcs=false"

# Ports: 127.0.0.1 only, far from Fabric's defaults (7050/7051/9443) so a stray network does not collide.
# Orderer i (1..3): listen 27050+i*10, admin 27051+i*10, operations 27052+i*10.
orderer_port() { echo $((27050 + $1 * 10)); }
orderer_admin_port() { echo $((27051 + $1 * 10)); }
orderer_ops_port() { echo $((27052 + $1 * 10)); }
# Peer of org o (1 = PortAuthority, 2 = Customs): peer 27151+o*100, chaincode 27152+o*100,
# operations 27153+o*100, chaincode-as-a-service 27154+o*100.
peer_port() { echo $((27051 + $1 * 100)); }
peer_cc_port() { echo $((27052 + $1 * 100)); }
peer_ops_port() { echo $((27053 + $1 * 100)); }
ccaas_port() { echo $((27054 + $1 * 100)); }
# Where the nodes are reached: "native" (every node on 127.0.0.1, the default) or "compose" (one
# container per node on the docker-compose network, reached by the host name its TLS certificate names).
# Ports are the same in both, so one configtx.yaml template and one channel setup serve both.
FABRIC_HOSTS="${FABRIC_HOSTS:-native}"
[[ "$FABRIC_HOSTS" == native || "$FABRIC_HOSTS" == compose ]] || {
    printf 'fabric: error: FABRIC_HOSTS=%s: expected native or compose\n' "$FABRIC_HOSTS" >&2
    exit 1
}
orderer_host() { if [[ "$FABRIC_HOSTS" == compose ]]; then echo "orderer$1.orderer.cargotrail.test"; else echo 127.0.0.1; fi; }
peer_host() { if [[ "$FABRIC_HOSTS" == compose ]]; then echo "peer0.$(org_name "$1").cargotrail.test"; else echo 127.0.0.1; fi; }
org_name() { case "$1" in 1) echo portauthority ;; 2) echo customs ;; *) die "no org $1" ;; esac; }
org_msp() { case "$1" in 1) echo PortAuthorityMSP ;; 2) echo CustomsMSP ;; *) die "no org $1" ;; esac; }

# mirror_git NAME: the git dir of hyperledger/NAME under FABRIC_GIT_MIRROR, or nothing.
mirror_git() {
    local d
    [[ -n "$FABRIC_GIT_MIRROR" ]] || return 1
    for d in "$FABRIC_GIT_MIRROR/hyperledger+$1/repo" "$FABRIC_GIT_MIRROR/$1.git" "$FABRIC_GIT_MIRROR/$1/.git"; do
        [[ -d "$d" ]] && { echo "$d"; return 0; }
    done
    return 1
}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'fabric: error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

# retry_transient WHAT CMD...: run CMD, retrying for up to 60 s while it fails for a reason that passes
# (a Raft election after a join or restart, a peer still connecting); any other failure is fatal.
retry_transient() {
    local what="$1" out n
    shift
    for ((n = 0; ; n++)); do
        out=$("$@" 2>&1) && return 0
        grep -qE "no Raft leader|SERVICE_UNAVAILABLE|connection refused|Unavailable|deadline exceeded" <<<"$out" && ((n < 60)) ||
            die "$what failed: $(grep -v WARN <<<"$out" | tail -5)"
        sleep 1
    done
}

# wait_port PORT SECONDS WHAT [HOST]: poll a TCP port (on 127.0.0.1 by default) until it accepts or
# time runs out.
wait_port() {
    local port="$1" secs="$2" what="$3" host="${4:-127.0.0.1}" i
    for ((i = 0; i < secs * 5; i++)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    die "$what did not listen on $host:$port within ${secs}s (see its log)"
}
