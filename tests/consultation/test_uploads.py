"""The shared upload helper: type by content, size limit, EXIF and GPS stripped, thumbnails, outside the web root."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from community_college import uploads


def _jpeg_with_gps(size=(1200, 800)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6  # taken sideways: the pixels must be turned
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (29.0, 39.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 33.0, 1.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def root(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.UPLOAD_ROOT


def test_jpeg_with_gps_comes_out_without_any_exif(root):
    data = _jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # the control: the input does carry the position
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    stored = uploads.store_image(SimpleUploadedFile("holiday.png", data, "image/png"), folder="matters/1")
    assert stored.content_type == "image/jpeg"  # decided by the content, not the name or the header
    assert (stored.width, stored.height) == (800, 1200)  # orientation applied to the pixels
    for name in (stored.name, stored.thumbnail):
        with uploads.open_stored(name) as handle:
            raw = handle.read()
        with Image.open(io.BytesIO(raw)) as clean:
            assert dict(clean.getexif()) == {}
            assert "exif" not in clean.info
        assert b"PhoneMaker" not in raw and b"Exif" not in raw
    with uploads.open_stored(stored.thumbnail) as handle, Image.open(handle) as thumb:
        assert max(thumb.size) == uploads.THUMB_EDGE
    assert (root / stored.name).is_file()


def test_not_an_image_and_too_large_are_refused(root, settings):
    with pytest.raises(ValidationError):
        uploads.store_image(SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", "image/jpeg"), folder="m")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(ValidationError):
        uploads.store_image(SimpleUploadedFile("x.gif", gif.getvalue(), "image/gif"), folder="m")
    with pytest.raises(ValidationError):
        uploads.store_image(SimpleUploadedFile("x.jpg", _jpeg_with_gps(), "image/jpeg"), folder="m", limit=100)
    assert not root.exists() or not any(root.rglob("*.*"))


def test_open_stored_refuses_paths_outside_the_root(root):
    root.mkdir(parents=True)
    with pytest.raises(FileNotFoundError):
        uploads.open_stored("../../etc/passwd")
