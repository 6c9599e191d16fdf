"""Helpers on uploaded and stored files shared by the importers."""

import hashlib
from pathlib import Path


def file_digest(file):
    """(sha256 hex, size) of a path, an UploadedFile or a binary stream (rewound afterwards)."""
    digest, size = hashlib.sha256(), 0
    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size
    chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size
