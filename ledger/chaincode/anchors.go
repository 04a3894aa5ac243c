// Package main is the cargotrail "anchors" chaincode: it records Merkle batch roots once, in order.
//
// Contract (the Python ledger.fabric client and the auditor rely on it):
//
//   - Anchor writes a batch header once. Re-anchoring an identical header returns the stored anchor
//     without writing; the same batch id with anything different is refused.
//   - A stream's batches are anchored in order: seq must be the stream's next sequence number (0 first)
//     and prevRoot the stream's last anchored root (GenesisRoot first); otherwise refused.
//   - The batch id must be the one cargotrail derives from (stream, seq), so an id cannot be reused
//     for another position in another stream.
//   - Each new anchor emits the chaincode event "Anchored" whose payload is the anchor's JSON.
//
// World state keys (composite keys, so they never collide):
//
//	anchor~<batchId>        the Anchor JSON
//	seq␟<stream>␟<seq:020>  the batch id at that position: a plain key (␟ = U+001F), because Fabric
//	                        range queries refuse composite keys; streams may not contain U+001F
//	                        (cargotrail's batch ids use it as a separator too)
//	tip~<stream>            the stream's last Anchor JSON (seq and root checked by the next Anchor)
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// GenesisRoot is the prevRoot of a stream's first batch (as in ledger/core/batch.py).
const GenesisRoot = "0000000000000000000000000000000000000000000000000000000000000000"

// EventName is the chaincode event emitted for every new anchor.
const EventName = "Anchored"

var hexRoot = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Anchor is one anchored batch header, as stored and as returned to clients.
type Anchor struct {
	BatchID  string `json:"batchId"`
	Stream   string `json:"stream"`
	Seq      uint64 `json:"seq"`
	Root     string `json:"root"`
	Size     uint64 `json:"size"`
	FirstTs  string `json:"firstTs"`
	LastTs   string `json:"lastTs"`
	PrevRoot string `json:"prevRoot"`
	TxID     string `json:"txId"` // the transaction that anchored it (not part of the header)
}

// sameHeader: everything but the transaction id matches (an identical re-anchor).
func (a *Anchor) sameHeader(b *Anchor) bool {
	return a.BatchID == b.BatchID && a.Stream == b.Stream && a.Seq == b.Seq && a.Root == b.Root &&
		a.Size == b.Size && a.FirstTs == b.FirstTs && a.LastTs == b.LastTs && a.PrevRoot == b.PrevRoot
}

// BatchID derives the id cargotrail gives to batch seq of stream (ledger/core/batch.py batch_id).
func BatchID(stream string, seq uint64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("batch\x1f%s\x1f%d", stream, seq)))
	return hex.EncodeToString(sum[:])[:32]
}

// AnchorsContract is the chaincode's only contract; its exported methods are the transactions.
type AnchorsContract struct {
	contractapi.Contract
}

// Anchor records one batch header (see the package contract) and returns the stored anchor as JSON.
func (c *AnchorsContract) Anchor(ctx contractapi.TransactionContextInterface, batchID, stream string,
	seq uint64, root string, size uint64, firstTs, lastTs, prevRoot string) (string, error) {
	stub := ctx.GetStub()
	a := &Anchor{BatchID: batchID, Stream: stream, Seq: seq, Root: root, Size: size,
		FirstTs: firstTs, LastTs: lastTs, PrevRoot: prevRoot, TxID: stub.GetTxID()}
	if err := validate(a); err != nil {
		return "", err
	}
	stored, err := readAnchor(ctx, anchorKey, batchID)
	if err != nil {
		return "", err
	}
	if stored != nil {
		if stored.sameHeader(a) {
			return marshal(stored) // idempotent replay: nothing written
		}
		return "", fmt.Errorf("batch %s is already anchored with root %s (size %d, tx %s); refusing root %s (size %d)",
			batchID, stored.Root, stored.Size, stored.TxID, root, size)
	}
	tip, err := readAnchor(ctx, tipKey, stream)
	if err != nil {
		return "", err
	}
	wantSeq, wantPrev := uint64(0), GenesisRoot
	if tip != nil {
		wantSeq, wantPrev = tip.Seq+1, tip.Root
	}
	if seq != wantSeq {
		return "", fmt.Errorf("refusing batch %s: seq in stream %q expected %d, found %d", batchID, stream, wantSeq, seq)
	}
	if prevRoot != wantPrev {
		return "", fmt.Errorf("refusing batch %s: prev_root in stream %q expected %s, found %s",
			batchID, stream, wantPrev, prevRoot)
	}
	body, err := marshal(a)
	if err != nil {
		return "", err
	}
	for _, kv := range []struct {
		kind  string
		attrs []string
		value string
	}{
		{anchorKey, []string{batchID}, body},
		{tipKey, []string{stream}, body},
	} {
		key, err := stub.CreateCompositeKey(kv.kind, kv.attrs)
		if err != nil {
			return "", err
		}
		if err := stub.PutState(key, []byte(kv.value)); err != nil {
			return "", fmt.Errorf("put %s: %w", kv.kind, err)
		}
	}
	if err := stub.PutState(seqIndexKey(stream, int64(seq)), []byte(batchID)); err != nil {
		return "", fmt.Errorf("put seq index: %w", err)
	}
	if err := stub.SetEvent(EventName, []byte(body)); err != nil {
		return "", fmt.Errorf("set event: %w", err)
	}
	return body, nil
}

// GetAnchor returns the anchor of batchID as JSON, or "" if it was never anchored.
func (c *AnchorsContract) GetAnchor(ctx contractapi.TransactionContextInterface, batchID string) (string, error) {
	return getJSON(ctx, anchorKey, batchID)
}

// GetTip returns the last anchor of stream as JSON, or "" if the stream has none.
func (c *AnchorsContract) GetTip(ctx contractapi.TransactionContextInterface, stream string) (string, error) {
	return getJSON(ctx, tipKey, stream)
}

func validate(a *Anchor) error {
	switch {
	case a.Stream == "" || strings.ContainsAny(a.Stream, "\x00\x1f"):
		return fmt.Errorf("refusing batch %s: stream must be non-empty, without U+0000 or U+001F", a.BatchID)
	case a.BatchID != BatchID(a.Stream, a.Seq):
		return fmt.Errorf("refusing batch %s: batch id expected %s for seq %d of stream %q",
			a.BatchID, BatchID(a.Stream, a.Seq), a.Seq, a.Stream)
	case !hexRoot.MatchString(a.Root):
		return fmt.Errorf("refusing batch %s: root must be 64 lowercase hex, found %q", a.BatchID, a.Root)
	case !hexRoot.MatchString(a.PrevRoot):
		return fmt.Errorf("refusing batch %s: prev_root must be 64 lowercase hex, found %q", a.BatchID, a.PrevRoot)
	case a.FirstTs == "" || a.LastTs == "":
		return fmt.Errorf("refusing batch %s: empty time range", a.BatchID)
	}
	return nil
}

func marshal(a *Anchor) (string, error) {
	b, err := json.Marshal(a)
	return string(b), err
}
