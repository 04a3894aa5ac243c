"""The Kafka runtime: Faust workers running the shared ``Processors`` per partition.

- ``partition``: one partition's micro-batch job (no Kafka in it: testable alone);
- ``app``: the faust-streaming app (agent, tables, recovery by replay);
- the sink and the producers live in ``cargotrail.kafka``.
"""
