package main

import (
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// main runs the chaincode as a service (the peer dials it): CHAINCODE_ID is the package id the peer
// installed, CHAINCODE_SERVER_ADDRESS the host:port to listen on. No TLS: it listens on 127.0.0.1 only.
func main() {
	cc, err := contractapi.NewChaincode(&AnchorsContract{})
	if err != nil {
		log.Fatalf("anchors chaincode: %v", err)
	}
	cc.Info.Title = "cargotrail anchors"
	cc.Info.Version = "1.0"
	id, addr := os.Getenv("CHAINCODE_ID"), os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		log.Fatal("anchors chaincode: set CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS")
	}
	server := &shim.ChaincodeServer{CCID: id, Address: addr, CC: cc, TLSProps: shim.TLSProperties{Disabled: true}}
	log.Printf("anchors chaincode %s listening on %s", id, addr)
	if err := server.Start(); err != nil {
		log.Fatalf("anchors chaincode: %v", err)
	}
}
