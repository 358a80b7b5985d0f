"""The project's one way to hash: canonical JSON for structured keys, sha256 for bytes and files.

Snapshot query keys, sidecar checksums and the report cache all go through here, so the same
input always gives the same digest.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal content gives equal text."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(obj: Any) -> str:
    """sha256 (hex) of the canonical JSON of `obj`."""
    return sha256_bytes(canonical_json(obj).encode("utf-8"))


def sha256_bytes(data: bytes) -> str:
    """sha256 (hex) of `data`."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file, read in chunks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
