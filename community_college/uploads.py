"""Photos uploaded by residents and staff, stored safely (shared by consultation and the showcase).

- The type is decided by the content, never the name or the browser's Content-Type: Pillow must open and
  verify the bytes as JPEG, PNG or WebP, within UPLOAD_MAX_BYTES and a pixel limit (decompression bombs).
- Every image is re-encoded from its pixels, so nothing of the original file survives: no EXIF (camera,
  time, GPS position of the resident's home), no XMP, no comments, no trailing payloads. The orientation
  EXIF asked for is applied to the pixels first, so the photo still stands the right way up.
- Files go under UPLOAD_ROOT, outside the static and web roots, with random names; views that have checked
  access and moderation serve them (`open_stored`).
- A thumbnail (THUMB_EDGE pixels on the long side) is made at once for lists.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000
MAX_EDGE = 2560
THUMB_EDGE = 320


@dataclass(frozen=True)
class StoredImage:
    name: str
    thumbnail: str
    content_type: str
    width: int
    height: int


def storage() -> FileSystemStorage:
    return FileSystemStorage(location=str(settings.UPLOAD_ROOT), base_url=None)


def _read(upload, limit: int) -> bytes:
    if hasattr(upload, "size") and upload.size is not None and upload.size > limit:
        raise ValidationError(_("The photo is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, code="too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("The photo is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, code="too_large")
    return data


def _clean_image(data: bytes):
    """Open and verify `data` as an allowed image; return (pixels, format) with orientation applied."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = ValidationError(_("Upload a photo in JPEG, PNG or WebP format."), code="not_an_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_many_pixels")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    return image, fmt


def _encode(image, fmt: str) -> bytes:
    # A fresh image from the pixels alone: no info dict, no EXIF, no ICC-embedded comments.
    from PIL import Image

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    options = {"quality": 85, "optimize": True} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(out, format=fmt, **options)
    return out.getvalue()


def store_image(upload, *, folder: str, limit: int | None = None) -> StoredImage:
    """Check, clean and store an uploaded image and its thumbnail; raise ValidationError if it is refused."""
    limit = limit or settings.UPLOAD_MAX_BYTES
    image, fmt = _clean_image(_read(upload, limit))
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    content_type, ext = ALLOWED[fmt]
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
    token = secrets.token_urlsafe(16)
    folder = folder.strip("/")
    target = storage()
    name = target.save(f"{folder}/{token}.{ext}", ContentFile(_encode(image, fmt)))
    thumbnail = target.save(f"{folder}/{token}.thumb.{ext}", ContentFile(_encode(thumb, fmt)))
    return StoredImage(name=name, thumbnail=thumbnail, content_type=content_type, width=image.width, height=image.height)


def open_stored(name: str):
    """The stored file, for a view that has checked access; refuses names that leave UPLOAD_ROOT."""
    root = Path(settings.UPLOAD_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise FileNotFoundError(name)
    return path.open("rb")


def delete_stored(*names: str) -> None:
    target = storage()
    for name in names:
        if name:
            target.delete(name)
