"""Types of the optional C accelerator (cargotrail/contract/_ids.c); see cargotrail.contract.ids."""

class Unsupported(Exception):
    """Input outside the native fast path: the caller uses the Python reference instead."""

def reading_ids(devices: list[str], seqs: list[int], /) -> list[str]: ...
def text_ids(texts: list[str], /) -> list[str]: ...
