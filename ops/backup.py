"""Backups of the PostgreSQL database (pg_dump custom format) and the media files, with retention.

A backup set is `db-<stamp>.dump` (pg_restore reads it: parallel, selective restores) and, when there
are media files, `media-<stamp>.tar.gz` beside it. The newest `keep` sets are kept, older ones deleted.
The password travels in PGPASSWORD, never on a command line that `ps` shows.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone


@dataclass(frozen=True)
class BackupSet:
    database: Path
    media: Path | None


def _pg_env(alias: str = "default") -> tuple[list[str], dict[str, str]]:
    db = connections[alias].settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        raise RuntimeError("backups need PostgreSQL (pg_dump); the SQLite file can simply be copied")
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def backup_create(*, directory: Path, keep: int, alias: str = "default") -> BackupSet:
    """Dump the database (and media) into `directory`, then keep only the newest `keep` sets."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    args, env = _pg_env(alias)
    name = connections[alias].settings_dict["NAME"]
    target = directory / f"db-{stamp}.dump"
    partial = target.with_suffix(".dump.partial")
    # Written under another name and renamed when complete: a crash never leaves a dump that looks whole.
    subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(partial), name], env=env, check=True)
    partial.rename(target)
    media = _media_archive(directory, stamp)
    _prune(directory, keep)
    return BackupSet(target, media)


def _media_archive(directory: Path, stamp: str) -> Path | None:
    root = Path(settings.MEDIA_ROOT) if getattr(settings, "MEDIA_ROOT", "") else None
    if root is None or not root.is_dir() or not any(root.iterdir()):
        return None
    target = directory / f"media-{stamp}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        archive.add(root, arcname="media")
    return target


def _prune(directory: Path, keep: int) -> None:
    dumps = sorted(directory.glob("db-*.dump"), reverse=True)
    for old in dumps[keep:]:
        stamp = old.name[len("db-") : -len(".dump")]
        old.unlink()
        (directory / f"media-{stamp}.tar.gz").unlink(missing_ok=True)


def backup_restore(*, dump: Path, database: str, alias: str = "default") -> None:
    """Restore `dump` into the (new, empty) database `database` on the same server."""
    args, env = _pg_env(alias)
    subprocess.run(["createdb", *args, database], env=env, check=True)
    subprocess.run(["pg_restore", *args, "--no-owner", "-d", database, str(dump)], env=env, check=True)


def fingerprint(alias: str = "default") -> dict[str, dict[str, object]]:
    """Row count and a checksum of every key table: equal fingerprints mean equal contents."""
    result = {}
    with connections[alias].cursor() as cursor:
        # The tables whose content a restore must bring back exactly (the restore drill compares them); the
        # project names them in settings, as ops knows no domain app.
        for label in settings.BACKUP_KEY_MODELS:
            model = apps.get_model(label)
            table = connections[alias].ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT t::text FROM {table} t ORDER BY t.{model._meta.pk.column}")  # noqa: S608 (names from models)
            digest, count = hashlib.sha256(), 0
            for (row,) in cursor.fetchall():
                digest.update(row.encode())
                digest.update(b"\n")
                count += 1
            result[label] = {"rows": count, "sha256": digest.hexdigest()}
    return result
