"""Build of the optional native accelerators; everything else is in pyproject.toml.

``ledger.core._merkle`` (ledger/core/_merkle.c: Merkle trees and proofs) and
``cargotrail.contract._ids`` (cargotrail/contract/_ids.c: reading ids in bulk)
link OpenSSL's libcrypto; ``streams.processors._table``
(streams/processors/_table.c: readings into columns) needs only Python's
headers. Each is ``optional``: without a C compiler or the
OpenSSL headers (Debian: libssl-dev, which ``make install`` installs when it
runs as root) setuptools prints why the build failed and installs the
pure-Python code beside it, which is the reference and gives the same
results, only slower. Set ``CARGOTRAIL_REQUIRE_NATIVE=1`` to make a failed
build fail the installation instead.
"""

from __future__ import annotations

import os

from setuptools import Extension, setup

OPTIONAL = os.environ.get("CARGOTRAIL_REQUIRE_NATIVE", "") not in ("1", "true", "yes")
FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        Extension(
            "ledger.core._merkle",
            sources=["ledger/core/_merkle.c"],
            libraries=["crypto"],
            extra_compile_args=FLAGS,
            optional=OPTIONAL,
        ),
        Extension(
            "streams.processors._table",
            sources=["streams/processors/_table.c"],
            extra_compile_args=FLAGS,
            optional=OPTIONAL,
        ),
        Extension(
            "cargotrail.contract._ids",
            sources=["cargotrail/contract/_ids.c"],
            libraries=["crypto"],
            extra_compile_args=FLAGS,
            optional=OPTIONAL,
        ),
    ]
)
