"""The certificate service: idempotent issue, a PDF whose Chinese text is extractable, the public page."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse
from django.utils import translation

from activities import certificates, signals
from activities.certificates import (
    CertificateFontMissing,
    certificate_by_code,
    certificate_issue,
    certificate_pdf,
)
from activities.enums import CertificateKind
from activities.models import Certificate
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _issue(holder, subject="course:1", **facts):
    defaults = {
        "title": "结业证书",
        "college_name": "幸福社区学院",
        "course_title": "书法入门班",
        "teacher_name": "王老师",
        "hours": 12,
        "period_start": date(2026, 9, 1),
        "period_end": date(2027, 1, 31),
    }
    return certificate_issue(
        kind=CertificateKind.COURSE_COMPLETION, holder=holder, subject=subject, **{**defaults, **facts}
    )


def test_issue_is_idempotent_per_kind_holder_and_subject_and_announces_once():
    heard = []

    def listener(sender, certificate_id, **kwargs):
        heard.append(certificate_id)

    signals.certificate_issued.connect(listener)
    try:
        resident, other = ResidentFactory(name="张三丰"), ResidentFactory(name="李四")
        first = _issue(resident)
        again = _issue(resident, title="另一个标题")
        other_subject = _issue(resident, subject="course:2")
        other_holder = _issue(other)
        teacher_kind = certificate_issue(
            kind=CertificateKind.TEACHER_HOURS,
            holder=resident,
            subject="course:1",
            title="授课证明",
            hours=20,
        )
    finally:
        signals.certificate_issued.disconnect(listener)
    assert again.pk == first.pk and again.title == "结业证书"
    assert len({first.pk, other_subject.pk, other_holder.pk, teacher_kind.pk}) == 4
    assert heard == [first.pk, other_subject.pk, other_holder.pk, teacher_kind.pk]
    assert first.holder_name == "张三丰" and other_holder.holder_name == "李四"
    assert Certificate.objects.count() == 4
    assert len({c.code for c in Certificate.objects.all()}) == 4


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        certificate_issue(kind="nonsense", holder=ResidentFactory(), subject="x", title="t")


def test_code_is_found_in_any_case_and_spacing():
    certificate = _issue(ResidentFactory())
    assert certificate_by_code(f"  {certificate.code.lower()} ") == certificate
    assert certificate_by_code("AAAA-AAAA-AAAA") is None


def test_pdf_text_holds_the_chinese_name_course_college_and_code():
    certificate = _issue(ResidentFactory(name="张三丰"))
    data = certificate_pdf(certificate)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    for fact in ("张三丰", "书法入门班", "幸福社区学院", "王老师", certificate.code):
        assert fact in text
    # The CJK font travels inside the file: a reader without Noto shows the same glyphs.
    fonts = pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    descriptors = [
        font.get_object()["/FontDescriptor"].get_object()
        for font in fonts.values()
        if "/FontDescriptor" in font.get_object()
    ]
    assert any("/FontFile2" in d for d in descriptors)


def test_pdf_text_through_pdftotext(tmp_path):
    certificate = _issue(ResidentFactory(name="欧阳娜娜"), course_title="太极拳")
    path = tmp_path / "c.pdf"
    path.write_bytes(certificate_pdf(certificate))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "欧阳娜娜" in text and "太极拳" in text, text


def test_missing_font_is_a_clear_error(settings):
    settings.CERTIFICATE_FONT = "/nowhere/NotoSansCJK-Regular.ttc"
    certificate = _issue(ResidentFactory())
    with pytest.raises(CertificateFontMissing, match="fonts-noto-cjk"):
        certificate_pdf(certificate)


def test_pdf_leaves_no_font_registered():
    from reportlab.pdfbase import pdfmetrics

    certificate_pdf(_issue(ResidentFactory()))
    # ReportLab registers its standard fonts on first use; the certificate's own subset must be gone.
    assert [name for name in pdfmetrics.getRegisteredFontNames() if name.startswith("CertificateCJK-")] == []
    assert not [face for face in pdfmetrics._dynFaceNames if face.startswith("CertificateCJK-")]


def test_verification_page_shows_the_facts_and_nothing_else(client):
    holder = ResidentFactory(name="张三丰", phone="13912345678", email="zhang@example.org")
    certificate = _issue(holder)
    _issue(holder, subject="course:2", course_title="另一门课")
    with translation.override("en"):
        response = client.get(
            reverse("activities:certificate_verify", args=[certificate.code]), HTTP_ACCEPT_LANGUAGE="en"
        )
    page = response.content.decode()
    assert response.status_code == 200
    for fact in ("张三丰", "书法入门班", "幸福社区学院", "王老师", "12.0", certificate.code):
        assert fact in page
    for private in ("13912345678", "5678", "zhang@example.org", "另一门课"):
        assert private not in page


def test_verification_of_an_unknown_code_is_404(client):
    _issue(ResidentFactory())
    assert client.get("/certificates/AAAA-BBBB-CCCC/").status_code == 404


def test_my_certificates_lists_mine_and_downloads_only_mine(client):
    mine, theirs = ResidentFactory(), ResidentFactory()
    my_certificate = _issue(mine, course_title="我的课")
    their_certificate = _issue(theirs, course_title="别人的课")
    client.force_login(mine)
    page = client.get(reverse("activities:my_certificates")).content.decode()
    assert "我的课" in page and "别人的课" not in page
    response = client.get(reverse("activities:certificate_download", args=[my_certificate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        client.get(reverse("activities:certificate_download", args=[their_certificate.pk])).status_code == 404
    )


def test_my_certificates_needs_signing_in(client):
    response = client.get(reverse("activities:my_certificates"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_font_setting_points_at_debians_noto():
    from django.conf import settings

    assert Path(settings.CERTIFICATE_FONT).name == "NotoSansCJK-Regular.ttc"
    assert certificates.CODE_ALPHABET.isupper()
