"""The ``cargotrail`` command line (typer + rich)."""
