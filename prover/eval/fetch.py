"""Download a manifest's file into the cache: resumable, verified by sha256.

`import_file` caches a copy fetched elsewhere, on the same checksum condition.
The download goes to `<file>.part` and resumes from its length with an HTTP Range
request. The finished file is checked against the manifest's sha256 before it is
moved into place; a mismatch keeps the bytes aside as `<file>.bad-<digest>` (for
inspection, never used) and is an error.
"""

from __future__ import annotations

import http.client
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import platformdirs

from prover.eval.datasets import DatasetError, Manifest, sha256_file

CHUNK = 1 << 16
TIMEOUT_S = 30.0

# (bytes so far, total bytes or None when the server does not say)
ProgressCallback = Callable[[int, int | None], None]


class FetchError(DatasetError):
    """A download failed or did not match its checksum."""


class ChecksumMismatch(FetchError):
    def __init__(self, url: str, expected: str, actual: str, kept: Path) -> None:
        super().__init__(
            f"{url} has sha256 {actual}, the manifest expects {expected}; "
            f"the download was kept aside as {kept} and not used"
        )
        self.kept = kept


def default_cache_dir() -> Path:
    explicit = os.environ.get("LEANWB_DATASETS_CACHE")
    return Path(explicit) if explicit else Path(platformdirs.user_cache_dir("leanwb")) / "datasets"


def cached_path(manifest: Manifest, cache_dir: Path) -> Path:
    return cache_dir / manifest.name / manifest.file.filename


def verified_cached(manifest: Manifest, cache_dir: Path) -> Path | None:
    """The cached file if it is present and matches the manifest's checksum."""
    path = cached_path(manifest, cache_dir)
    if path.is_file() and sha256_file(path) == manifest.file.sha256:
        return path
    return None


def fetch(
    manifest: Manifest,
    cache_dir: Path,
    progress: ProgressCallback | None = None,
) -> Path:
    """Download (or resume) and verify `manifest`'s file; returns the verified path."""
    done = verified_cached(manifest, cache_dir)
    if done is not None:
        return done
    target = cached_path(manifest, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _download(manifest.file.url, part, progress)
    actual = sha256_file(part)
    if actual != manifest.file.sha256:
        kept = target.with_name(f"{target.name}.bad-{actual[:12]}")
        part.replace(kept)
        raise ChecksumMismatch(manifest.file.url, manifest.file.sha256, actual, kept)
    part.replace(target)
    return target


def import_file(manifest: Manifest, source: Path, cache_dir: Path) -> Path:
    """Put a copy of `source` (fetched elsewhere) into the cache if its sha256 matches."""
    try:
        actual = sha256_file(source)
    except OSError as exc:
        raise FetchError(f"cannot read {source}: {exc.strerror or exc}") from exc
    if actual != manifest.file.sha256:
        raise FetchError(
            f"{source} has sha256 {actual}, the manifest of {manifest.name} expects "
            f"{manifest.file.sha256}; it was not cached"
        )
    target = cached_path(manifest, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    shutil.copyfile(source, part)
    part.replace(target)
    return target


def _download(url: str, part: Path, progress: ProgressCallback | None) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "leanwb"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part file already holds every byte
            return
        raise FetchError(f"{url} answered HTTP {exc.code} ({exc.reason})") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"cannot download {url} ({reason}); on a machine without internet, copy the file "
            "over and pass it with --from-file"
        ) from exc
    with response:
        resumed = response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        if progress is not None:
            progress(have, total)
        try:
            with part.open("ab" if resumed else "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    have += len(block)
                    if progress is not None:
                        progress(have, total)
        except (http.client.IncompleteRead, OSError) as exc:
            raise FetchError(
                f"download of {url} stopped after {have} bytes ({exc.__class__.__name__}); "
                "run the same command again to resume"
            ) from exc
    if total is not None and have < total:
        raise FetchError(
            f"download of {url} stopped after {have} of {total} bytes; "
            "run the same command again to resume"
        )
