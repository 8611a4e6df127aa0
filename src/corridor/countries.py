"""ISO 3166-1 alpha-3 country codes (data/iso3166_alpha3.csv, with its source)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

__all__ = ["is_country_code", "COUNTRY_CODE_RULE"]

COUNTRY_CODE_RULE = "an ISO 3166-1 alpha-3 code such as GTM (X-codes such as XKX are free for local use)"


@cache
def _codes() -> frozenset[str]:
    with (resources.files("corridor") / "data" / "iso3166_alpha3.csv").open(encoding="utf-8") as fh:
        return frozenset(row["alpha_3"] for row in csv.DictReader(fh))


def is_country_code(code: str) -> bool:
    """An assigned ISO 3166-1 alpha-3 code, or one of the user-assigned X codes (XAA to XZZ)."""
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        return False
    return code in _codes() or code.startswith("X")
