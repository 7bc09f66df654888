"""Run profiles: ``quick`` (2-core laptop, minutes, small real data), ``full`` (the paper's scale).

Profiles are data, not branches: each chapter reads its sizes from :data:`PROFILES` and runs the
same code path in both. Chapters add their own entries under their chapter key.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

__all__ = ["PROFILES", "settings"]

# Each chapter owns its own block in both profiles; keep the keys of the two profiles equal.
PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "transferability": {},
        "similarity": {},
        "cluster_expansion": {},
        "complexity": {},
        "infrastructure": {
            "storage_max_structures": 100_000,
        },
        "compute": {},
    },
    "full": {
        "transferability": {},
        "similarity": {},
        "cluster_expansion": {},
        "complexity": {},
        "infrastructure": {
            "storage_max_structures": 1_000_000,
        },
        "compute": {},
    },
}


def settings(chapter: str, profile: str) -> MappingProxyType:
    """Read-only settings of ``chapter`` under ``profile``.

    Raises
    ------
    ValueError
        If the profile or the chapter is unknown; the message lists the known ones.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {sorted(PROFILES)}")
    table = PROFILES[profile]
    if chapter not in table:
        raise ValueError(
            f"profile {profile!r} has no settings for chapter {chapter!r}; known: {sorted(table)}"
        )
    return MappingProxyType(dict(table[chapter]))
