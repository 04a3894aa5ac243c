"""Which partition a key lands on: Kafka's murmur2 partitioner, in Python.

The Java client, aiokafka and librdkafka's ``murmur2_random`` (set in
``producer``) all send a keyed record to ``(murmur2(key) & 0x7fffffff) % n``.
The feed needs the same answer *before* producing, to batch a step's readings
per partition without moving any container to another partition.
"""

from __future__ import annotations

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 as Kafka computes it (seed 0x9747b28c), as an unsigned 32-bit int."""
    n = len(data)
    h = (_SEED ^ n) & _MASK
    end = n - n % 4
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = n % 4
    if tail == 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail >= 1:
        h ^= data[end]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def partition_of(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions
