#!/usr/bin/env bash
# Build the Fabric binaries (peer, orderer, configtxgen, cryptogen, osnadmin, configtxlator) and the
# chaincode-as-a-service builder into $FABRIC_BIN / $FABRIC_BUILDER. Idempotent: a stamp naming the
# pinned commit makes a rerun a no-op.
#
# Sources, tried in order:
#   1. `go install <module>@<commit>` from the Go module proxy (the documented route);
#   2. a git clone holding $FABRIC_COMMIT (FABRIC_GIT_DIR, or hyperledger+fabric under FABRIC_GIT_MIRROR),
#      built offline from its vendor/ folder: the proxy our machines reach refuses the hyperledger modules.
source "$(dirname "$0")/common.sh"

STAMP="$FABRIC_CACHE/.built-$FABRIC_COMMIT"
TOOLS=(peer orderer configtxgen cryptogen osnadmin configtxlator)
LDFLAGS="-X github.com/hyperledger/fabric/common/metadata.Version=$FABRIC_VERSION -X github.com/hyperledger/fabric/common/metadata.CommitSHA=${FABRIC_COMMIT:0:9}"

all_present() {
    local t
    for t in "${TOOLS[@]}"; do [[ -x "$FABRIC_BIN/$t" ]] || return 1; done
    for t in detect build release; do [[ -x "$FABRIC_BUILDER/bin/$t" ]] || return 1; done
    [[ -f "$FABRIC_CACHE/config/core.yaml" ]]
}

if [[ -f "$STAMP" ]] && all_present; then
    say "Fabric $FABRIC_VERSION binaries already built in $FABRIC_BIN"
    exit 0
fi
need go "install Go >= 1.26 (Fabric $FABRIC_VERSION asks for it)"
mkdir -p "$FABRIC_BIN" "$FABRIC_BUILDER/bin" "$FABRIC_CACHE/config"
start=$(date +%s)

from_proxy() {
    say "go install github.com/hyperledger/fabric/cmd/{${TOOLS[*]}}@$FABRIC_COMMIT (Go module proxy)"
    local pkgs=() t
    for t in "${TOOLS[@]}"; do pkgs+=("github.com/hyperledger/fabric/cmd/$t@$FABRIC_COMMIT"); done
    GOBIN="$FABRIC_BIN" go install -ldflags "$LDFLAGS" "${pkgs[@]}" || return 1
    local dir
    dir=$(go mod download -json "github.com/hyperledger/fabric@$FABRIC_COMMIT" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    cp "$dir"/sampleconfig/{core.yaml,orderer.yaml,configtx.yaml} "$FABRIC_CACHE/config/"
    chmod u+w "$FABRIC_CACHE"/config/*.yaml
    say "go install github.com/hyperledger/fabric/ccaas_builder/cmd/{detect,build,release}@$FABRIC_COMMIT"
    GOBIN="$FABRIC_BUILDER/bin" go install "github.com/hyperledger/fabric/ccaas_builder/cmd/"{detect,build,release}"@$FABRIC_COMMIT"
}

from_git() {
    local git_dir="${FABRIC_GIT_DIR:-$(mirror_git fabric || true)}" src="$FABRIC_CACHE/src/fabric-$FABRIC_COMMIT"
    [[ -n "$git_dir" ]] || return 1
    git --git-dir="$git_dir" cat-file -e "$FABRIC_COMMIT^{commit}" 2>/dev/null ||
        die "FABRIC_GIT_DIR=$git_dir does not hold commit $FABRIC_COMMIT"
    if [[ ! -f "$src/go.mod" ]]; then
        say "exporting fabric@$FABRIC_COMMIT from $git_dir to $src"
        rm -rf "$src.tmp" && mkdir -p "$src.tmp"
        git --git-dir="$git_dir" archive "$FABRIC_COMMIT" | tar -x -C "$src.tmp"
        mv "$src.tmp" "$src"
    fi
    say "building ${TOOLS[*]} from $src with its vendor/ folder (offline, CGO_ENABLED=0)"
    local t
    for t in "${TOOLS[@]}"; do
        say "  go build ./cmd/$t"
        (cd "$src" && go build -mod=vendor -trimpath -ldflags "$LDFLAGS" -o "$FABRIC_BIN/$t" "./cmd/$t")
    done
    cp "$src"/sampleconfig/{core.yaml,orderer.yaml,configtx.yaml} "$FABRIC_CACHE/config/"
    say "building the ccaas builder (its dependencies come from the Go module proxy)"
    for t in detect build release; do
        (cd "$src/ccaas_builder" && go build -mod=mod -trimpath -o "$FABRIC_BUILDER/bin/$t" "./cmd/$t")
    done
}

if ! from_proxy 2>"$FABRIC_CACHE/proxy.err"; then
    say "the Go module proxy refused fabric@$FABRIC_COMMIT: $(grep -m1 -o 'Forbidden.*\|not available.*\|404.*' "$FABRIC_CACHE/proxy.err" || head -c 200 "$FABRIC_CACHE/proxy.err")"
    from_git || die "cannot build Fabric: the Go module proxy refused github.com/hyperledger/fabric@$FABRIC_COMMIT
  and no git clone was given. Set FABRIC_GIT_DIR to a git clone of hyperledger/fabric holding that
  commit (tag v$FABRIC_VERSION), or FABRIC_GIT_MIRROR to a folder of clones (hyperledger+fabric/repo)"
fi
all_present || die "build finished but some binaries are missing from $FABRIC_BIN / $FABRIC_BUILDER/bin"
touch "$STAMP"
say "Fabric $FABRIC_VERSION built in $(($(date +%s) - start))s: $(ls "$FABRIC_BIN" | tr '\n' ' ')"
