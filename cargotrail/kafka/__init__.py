"""Kafka adapters: topics, codec, producers, the sink. The pure packages never import this.

Error tree (all under ``cargotrail.errors.CargotrailError``, see ``errors``)::

    KafkaError            a Kafka operation failed (topic, partition, key named)
    ├── KafkaUnavailable  the broker did not answer within the timeout (retryable)
    └── DeliveryError     the broker refused or lost a produced record
"""
