"""Refused or deleted photos leave no files behind (removed on commit); the other photos keep theirs."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from community_college.errors import ConflictError
from consultation import services
from consultation.enums import PhotoStatus
from consultation.models import MatterPhoto


@pytest.fixture
def root(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.UPLOAD_ROOT


def _upload(colour=(0, 120, 0)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), "image/jpeg")


def _files(root, photo) -> list[bool]:
    return [(root / photo.name).is_file(), (root / photo.thumbnail).is_file()]


@pytest.fixture
def photos(world, root):
    matter = world.raise_matter()
    other_matter = world.raise_matter("另一件", resident=world.residents[1])
    first = services.photo_add(matter=matter, upload=_upload(), actor=world.residents[0])
    second = services.photo_add(matter=matter, upload=_upload((9, 9, 9)), actor=world.residents[0])
    elsewhere = services.photo_add(matter=other_matter, upload=_upload(), actor=world.residents[1])
    for photo in (first, second, elsewhere):
        assert _files(root, photo) == [True, True]
    return first, second, elsewhere


def test_admin_refusal_removes_the_files_on_commit_and_only_those(client, world, root, photos, django_capture_on_commit_callbacks):
    first, second, elsewhere = photos
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:consultation_matterphoto_changelist"),
            {"action": "reject_photos", "_selected_action": [first.pk], "index": 0},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    assert MatterPhoto.objects.get(pk=first.pk).status == PhotoStatus.REJECTED
    assert _files(root, first) == [False, False]
    for untouched in (second, elsewhere):
        assert MatterPhoto.objects.get(pk=untouched.pk).status == PhotoStatus.PENDING
        assert _files(root, untouched) == [True, True]
    # A refused photo cannot be shown again (its file is gone).
    with pytest.raises(ConflictError):
        services.photo_moderate(photo=first, actor=world.staff, approve=True)
    # Staff of another community cannot refuse ours: nothing removed.
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(world.other_staff)
        client.post(
            reverse("admin:consultation_matterphoto_changelist"),
            {"action": "reject_photos", "_selected_action": [second.pk], "index": 0},
        )
    assert _files(root, second) == [True, True]


def test_admin_delete_removes_row_and_files_and_a_rollback_keeps_them(client, world, root, photos, django_capture_on_commit_callbacks):
    first, second, elsewhere = photos
    # Refused inside a transaction that rolls back: the files stay, the row is unchanged.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.photo_moderate(photo=second, actor=world.staff, approve=False)
        raise RuntimeError("rolled back")
    assert MatterPhoto.objects.get(pk=second.pk).status == PhotoStatus.PENDING
    assert _files(root, second) == [True, True]
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:consultation_matterphoto_delete", args=[first.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not MatterPhoto.objects.filter(pk=first.pk).exists()
    assert _files(root, first) == [False, False]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:consultation_matterphoto_changelist"),
            {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
        )
    assert not MatterPhoto.objects.filter(pk=second.pk).exists()
    assert _files(root, second) == [False, False]
    assert MatterPhoto.objects.filter(pk=elsewhere.pk).exists() and _files(root, elsewhere) == [True, True]


def test_a_photo_row_that_cannot_be_saved_leaves_no_file(world, root, monkeypatch):
    matter = world.raise_matter()

    def broken(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(MatterPhoto, "save", broken)
    with pytest.raises(RuntimeError):
        services.photo_add(matter=matter, upload=_upload(), actor=world.residents[0])
    assert not any(p.is_file() for p in root.rglob("*"))
