"""The Hyperledger Fabric ledger: a Gateway client in Python and the auditor's block checks.

- ``identity``  pure crypto: MSP folder -> signer; ECDSA P-256 low-S DER; verification
- ``proposal``  pure protobuf: proposals, tx ids, signed commit-status / events requests
- ``gateway``   gRPC client of the peer Gateway (Evaluate, Endorse, Submit, CommitStatus, events)
- ``errors``    one typed error per stage, translated from gRPC (see its docstring for the tree)
- ``ledger``    ``FabricLedger``: the ``ledger.base.Ledger`` promises on the anchors chaincode
- ``audit``     pure, offline: a block's validity, endorsements, policy and write set
- ``orderer``   pure, offline: the ordering service's signature on a block
- ``anchor_json`` pure: the chaincode's JSON form of a batch header and its world-state key
- ``trust``     the organisations' CA certificates an auditor trusts, from a folder or a setting
- ``config``    ``open_fabric_ledger(settings)``
"""
