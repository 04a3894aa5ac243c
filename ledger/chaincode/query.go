package main

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

const (
	anchorKey = "anchor"
	tipKey    = "tip"
	// MaxPage bounds one ListAnchors page, so that one query cannot exhaust the peer.
	MaxPage = 1000
)

// Page is one page of ListAnchors: the anchors in seq order and the bookmark of the next page
// ("" when there is none).
type Page struct {
	Anchors  []*Anchor `json:"anchors"`
	Bookmark string    `json:"bookmark"`
}

// ListAnchors returns the anchors of stream with seq > afterSeq (-1: from the start), ascending, at
// most pageSize (1..MaxPage) of them, as Page JSON. Pass the returned bookmark to get the next page.
// Paged range queries are read-only in Fabric: call it with Evaluate, not Submit.
func (c *AnchorsContract) ListAnchors(ctx contractapi.TransactionContextInterface, stream string,
	afterSeq int64, pageSize int32, bookmark string) (string, error) {
	if pageSize < 1 || pageSize > MaxPage {
		return "", fmt.Errorf("page size must be 1..%d, found %d", MaxPage, pageSize)
	}
	if afterSeq < -1 {
		afterSeq = -1
	}
	// ':' sorts right after '9': the end key bounds the range to this stream's zero-padded seqs.
	start, end := seqIndexKey(stream, afterSeq+1), seqIndexPrefix(stream)+":"
	it, meta, err := ctx.GetStub().GetStateByRangeWithPagination(start, end, pageSize, bookmark)
	if err != nil {
		return "", fmt.Errorf("range over stream %q: %w", stream, err)
	}
	defer it.Close()
	page := Page{Anchors: []*Anchor{}}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", err
		}
		a, err := readAnchor(ctx, anchorKey, string(kv.Value))
		if err != nil {
			return "", err
		}
		if a == nil {
			return "", fmt.Errorf("index names batch %s but it is not stored", kv.Value)
		}
		page.Anchors = append(page.Anchors, a)
	}
	if meta != nil && int32(len(page.Anchors)) == pageSize {
		page.Bookmark = meta.GetBookmark()
	}
	b, err := json.Marshal(page)
	return string(b), err
}

func seqIndexPrefix(stream string) string { return "seq\x1f" + stream + "\x1f" }

func seqIndexKey(stream string, seq int64) string {
	return seqIndexPrefix(stream) + fmt.Sprintf("%020d", seq)
}

func getJSON(ctx contractapi.TransactionContextInterface, kind, id string) (string, error) {
	key, err := ctx.GetStub().CreateCompositeKey(kind, []string{id})
	if err != nil {
		return "", err
	}
	b, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	return string(b), nil
}

func readAnchor(ctx contractapi.TransactionContextInterface, kind, id string) (*Anchor, error) {
	raw, err := getJSON(ctx, kind, id)
	if err != nil || raw == "" {
		return nil, err
	}
	var a Anchor
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return nil, fmt.Errorf("stored %s %s is not an anchor: %w", kind, id, err)
	}
	return &a, nil
}
