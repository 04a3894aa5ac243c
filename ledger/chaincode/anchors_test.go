package main

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// fakeStub is an in-memory world state with the few stub calls the contract makes; any other call
// panics on the nil embedded interface, which tells us the contract grew a dependency.
type fakeStub struct {
	shim.ChaincodeStubInterface
	state  map[string][]byte
	events []string
	txID   string
}

func (s *fakeStub) GetTxID() string                   { return s.txID }
func (s *fakeStub) GetState(k string) ([]byte, error) { return s.state[k], nil }
func (s *fakeStub) PutState(k string, v []byte) error { s.state[k] = v; return nil }
func (s *fakeStub) SetEvent(name string, _ []byte) error {
	s.events = append(s.events, name)
	return nil
}
func (s *fakeStub) CreateCompositeKey(t string, a []string) (string, error) {
	return "\x00" + t + "\x00" + strings.Join(a, "\x00") + "\x00", nil
}

func (s *fakeStub) GetStateByRangeWithPagination(start, end string, size int32, bookmark string) (
	shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if bookmark != "" {
		start = bookmark
	}
	keys := []string{}
	for k := range s.state {
		if k >= start && k < end {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	next := ""
	if len(keys) > int(size) {
		next, keys = keys[size], keys[:size]
	}
	it := &fakeIter{}
	for _, k := range keys {
		it.kvs = append(it.kvs, &queryresult.KV{Key: k, Value: s.state[k]})
	}
	return it, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(keys)), Bookmark: next}, nil
}

type fakeIter struct{ kvs []*queryresult.KV }

func (i *fakeIter) HasNext() bool { return len(i.kvs) > 0 }
func (i *fakeIter) Close() error  { return nil }
func (i *fakeIter) Next() (*queryresult.KV, error) {
	kv := i.kvs[0]
	i.kvs = i.kvs[1:]
	return kv, nil
}

func newCtx() (*contractapi.TransactionContext, *fakeStub) {
	stub := &fakeStub{state: map[string][]byte{}, txID: "tx0"}
	ctx := &contractapi.TransactionContext{}
	ctx.SetStub(stub)
	return ctx, stub
}

func root(c byte) string { return strings.Repeat(string(c), 64) }

// anchor writes batch seq of stream s with the given root after prev.
func anchor(ctx *contractapi.TransactionContext, s string, seq uint64, r, prev string) (string, error) {
	return (&AnchorsContract{}).Anchor(ctx, BatchID(s, seq), s, seq, r, 10, "2026-01-01T00:00:00Z",
		"2026-01-01T00:00:05Z", prev)
}

const pythonEmbedded0 = "1c0920b7da231192c2f4c94362c33360"

func TestBatchIDMatchesPython(t *testing.T) {
	// ledger.core.batch.batch_id("embedded", 0), computed by the Python side.
	if got := BatchID("embedded", 0); got != pythonEmbedded0 {
		t.Fatalf("BatchID = %s, want %s", got, pythonEmbedded0)
	}
}

func TestAnchorOnceInOrderAndEvent(t *testing.T) {
	ctx, stub := newCtx()
	out, err := anchor(ctx, "s", 0, root('a'), GenesisRoot)
	if err != nil {
		t.Fatal(err)
	}
	var a Anchor
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Root != root('a') || a.TxID != "tx0" {
		t.Fatalf("stored %s (%v)", out, err)
	}
	stub.txID = "tx1"
	if _, err := anchor(ctx, "s", 1, root('b'), root('a')); err != nil {
		t.Fatal(err)
	}
	if len(stub.events) != 2 || stub.events[0] != EventName {
		t.Fatalf("events %v", stub.events)
	}
	tip, _ := (&AnchorsContract{}).GetTip(ctx, "s")
	if !strings.Contains(tip, root('b')) {
		t.Fatalf("tip %s", tip)
	}
}

func TestIdenticalReanchorIsIdempotent(t *testing.T) {
	ctx, stub := newCtx()
	first, _ := anchor(ctx, "s", 0, root('a'), GenesisRoot)
	stub.txID = "tx-replay"
	again, err := anchor(ctx, "s", 0, root('a'), GenesisRoot)
	if err != nil || again != first {
		t.Fatalf("replay: %s, %v (first %s)", again, err, first)
	}
	if len(stub.events) != 1 {
		t.Fatalf("a replay must not emit an event: %v", stub.events)
	}
}

func TestRefusals(t *testing.T) {
	ctx, _ := newCtx()
	if _, err := anchor(ctx, "s", 0, root('a'), GenesisRoot); err != nil {
		t.Fatal(err)
	}
	c := &AnchorsContract{}
	cases := map[string]func() (string, error){
		"already anchored with root": func() (string, error) { return anchor(ctx, "s", 0, root('c'), GenesisRoot) },
		"prev_root in stream":        func() (string, error) { return anchor(ctx, "s", 1, root('b'), root('f')) },
		"seq in stream":              func() (string, error) { return anchor(ctx, "s", 2, root('b'), root('a')) },
		"batch id expected": func() (string, error) {
			return c.Anchor(ctx, "nope", "s", 1, root('b'), 1, "a", "b", root('a'))
		},
		"64 lowercase hex": func() (string, error) {
			return c.Anchor(ctx, BatchID("s", 1), "s", 1, "ABC", 1, "a", "b", root('a'))
		},
		`prev_root in stream "t"`: func() (string, error) { return anchor(ctx, "t", 0, root('a'), root('a')) },
		`seq in stream "t"`:       func() (string, error) { return anchor(ctx, "t", 1, root('a'), GenesisRoot) },
	}
	for want, call := range cases {
		_, err := call()
		if err == nil {
			t.Errorf("%s: accepted", want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	got, _ := c.GetAnchor(ctx, BatchID("s", 0))
	if !strings.Contains(got, root('a')) {
		t.Fatalf("the first root must survive the refusals: %s", got)
	}
}

func TestListAnchorsPaged(t *testing.T) {
	ctx, _ := newCtx()
	prev := GenesisRoot
	for seq := uint64(0); seq < 5; seq++ {
		r := root("abcde"[seq])
		if _, err := anchor(ctx, "s", seq, r, prev); err != nil {
			t.Fatal(err)
		}
		prev = r
	}
	_, _ = anchor(ctx, "other", 0, root('f'), GenesisRoot)
	c := &AnchorsContract{}
	seen, bookmark := []uint64{}, ""
	for i := 0; i < 5; i++ {
		out, err := c.ListAnchors(ctx, "s", 0, 2, bookmark)
		if err != nil {
			t.Fatal(err)
		}
		var p Page
		_ = json.Unmarshal([]byte(out), &p)
		for _, a := range p.Anchors {
			seen = append(seen, a.Seq)
		}
		if bookmark = p.Bookmark; bookmark == "" {
			break
		}
	}
	if len(seen) != 4 || seen[0] != 1 || seen[3] != 4 {
		t.Fatalf("after seq 0, pages of 2: %v", seen)
	}
	if _, err := c.ListAnchors(ctx, "s", -1, 0, ""); err == nil {
		t.Fatal("page size 0 accepted")
	}
	empty, _ := c.ListAnchors(ctx, "nobody", -1, 10, "")
	if empty != `{"anchors":[],"bookmark":""}` {
		t.Fatalf("empty stream: %s", empty)
	}
}
