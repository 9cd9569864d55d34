"""Certificates (证书): the one service that issues them, renders them as PDF, and finds them by code.

    from activities.certificates import certificate_issue, certificate_pdf
    certificate = certificate_issue(
        kind=CertificateKind.RECOGNITION, holder=user, subject=f"round:{round.pk}:category:{category.pk}",
        title="优秀志愿者", college_name=..., course_title=..., hours=None, period_start=..., period_end=...,
    )
    pdf_bytes = certificate_pdf(certificate)

Issuing is idempotent per (kind, holder, subject): the facts are copied in at the first issue and never
change, so a PDF downloaded twice says the same thing and the public page /certificates/<code>/ can be
trusted. Term completion (`term_certificates_issue`) lives in `activities.completion`.

The PDF embeds a subset of Noto Sans CJK SC (Debian's fonts-noto-cjk, settings.CERTIFICATE_FONT). ReportLab
embeds TrueType outlines only and Noto CJK ships PostScript (CFF) outlines, so the characters a certificate
uses are cut out of the font with fontTools and their outlines converted to TrueType quadratics first:
a font of some dozens of glyphs, made in about a second, and the PDF's text stays extractable.
"""

from __future__ import annotations

import io
import secrets
import threading
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User

from . import signals
from .enums import CertificateKind
from .models import Certificate

# Unambiguous on paper and read aloud over the phone: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
CODE_PATTERN = r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}"


class CertificateFontMissing(ImproperlyConfigured):
    """The CJK font the PDF needs is not installed where settings.CERTIFICATE_FONT says."""


def new_code() -> str:
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


# --- Writes ------------------------------------------------------------------------------------------------


def certificate_issue(
    *,
    kind: str,
    holder: User,
    subject: str,
    title: str,
    college_name: str = "",
    course_title: str = "",
    teacher_name: str = "",
    hours: Decimal | float | int | None = None,
    period_start=None,
    period_end=None,
    course=None,
    term=None,
    holder_name: str | None = None,
    issued_at=None,
) -> Certificate:
    """Issue the certificate of `kind` for `subject` to `holder`, or return the one already issued.

    `subject` names what it is for, unique per kind and holder ("course:12", "term:3:teacher",
    "round:4:category:2"). The facts (holder's name, college, title, class or category, teacher, hours,
    period) are stored as given and never updated. On the first issue `signals.certificate_issued` is sent,
    so the holder hears of it once; a repeated or concurrent issue sends nothing and makes nothing.
    """
    kind = CertificateKind(kind).value
    existing = Certificate.objects.filter(kind=kind, holder=holder, subject=subject).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        kind=kind,
        holder=holder,
        subject=subject,
        code=new_code(),
        holder_name=(holder_name or holder.name or "")[:60],
        college_name=college_name[:200],
        title=title[:120],
        course_title=course_title[:200],
        teacher_name=teacher_name[:60],
        hours=None if hours is None else Decimal(str(hours)).quantize(Decimal("0.1")),
        period_start=period_start,
        period_end=period_end,
        course=course,
        term=term,
        issued_at=issued_at or timezone.now(),
    )
    # `code` is unique too: full_clean would query for it; the database refuses a clash and we draw again.
    certificate.full_clean(validate_unique=False)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                certificate.save()
                signals.certificate_issued.send(sender=Certificate, certificate_id=certificate.pk)
            return certificate
        except IntegrityError:
            # Issued by a concurrent call a moment ago (the unique constraint kept one), or a code clash.
            existing = Certificate.objects.filter(kind=kind, holder=holder, subject=subject).first()
            if existing is not None:
                return existing
            certificate.pk, certificate.code = None, new_code()
    raise IntegrityError("could not draw a unique certificate code")


# --- Reads -------------------------------------------------------------------------------------------------


def certificates_of(*, user: User) -> QuerySet[Certificate]:
    """The certificates `user` holds, newest first."""
    return Certificate.objects.filter(holder=user).order_by("-issued_at", "-id")


def certificate_by_code(code: str) -> Certificate | None:
    return Certificate.objects.filter(code=normalise_code(code)).first()


def certificate_verify_url(certificate: Certificate) -> str:
    return settings.CERTIFICATE_SITE_URL.rstrip("/") + reverse(
        "activities:certificate_verify", args=[certificate.code]
    )


def certificate_facts(certificate: Certificate) -> list[tuple[str, str]]:
    """The facts a certificate shows, as (label, value) in the active language; empty facts left out.

    The PDF and the public page show exactly these, so the page can vouch for the paper.
    """
    rows = [
        (_("Name"), certificate.holder_name),
        (_("Certificate"), certificate.title),
        (_("College"), certificate.college_name),
        (_("Class or category"), certificate.course_title),
        (_("Teacher"), certificate.teacher_name),
        (
            _("Hours"),
            "" if certificate.hours is None else formats.number_format(certificate.hours, decimal_pos=1),
        ),
        (_("Period"), _period(certificate)),
        (_("Issued on"), formats.date_format(timezone.localtime(certificate.issued_at), "DATE_FORMAT")),
        (_("Verification code"), certificate.code),
    ]
    return [(label, str(value)) for label, value in rows if value]


def _period(certificate: Certificate) -> str:
    start, end = certificate.period_start, certificate.period_end
    if start and end:
        return f"{formats.date_format(start, 'DATE_FORMAT')} – {formats.date_format(end, 'DATE_FORMAT')}"
    return formats.date_format(start or end, "DATE_FORMAT") if (start or end) else ""


def _statement(kind: str) -> str:
    return {
        CertificateKind.COURSE_COMPLETION: _("has completed this class at the community college."),
        CertificateKind.TEACHER_HOURS: _("has taught at the community college for the hours below."),
        CertificateKind.VOLUNTEER_HOURS: _(
            "has served the community college as a volunteer for the hours below."
        ),
        CertificateKind.RECOGNITION: _("has been recognised by the community college."),
    }.get(kind, "")


# --- The PDF -----------------------------------------------------------------------------------------------

_font_lock = threading.Lock()


def _font_path() -> Path:
    path = Path(settings.CERTIFICATE_FONT)
    if not path.is_file():
        raise CertificateFontMissing(
            f"The certificate font {path} is missing: install Debian's fonts-noto-cjk, or set CERTIFICATE_FONT "
            "to a Noto Sans CJK .ttc/.otf file."
        )
    return path


def cjk_subset_font(text: str) -> io.BytesIO:
    """A TrueType font holding the glyphs of `text`, cut from settings.CERTIFICATE_FONT (Noto Sans CJK SC)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    path = _font_path()
    index = settings.CERTIFICATE_FONT_INDEX if path.suffix.lower() == ".ttc" else -1
    font = TTFont(str(path), fontNumber=index)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "glyf" not in font:
        order = font.getGlyphOrder()
        glyph_set = font.getGlyphSet()
        glyphs = {}
        for name in order:
            pen = TTGlyphPen(None)
            # TrueType contours run the other way round from PostScript ones.
            glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyphs[name] = pen.glyph()
        glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = order, glyphs
        font["glyf"], font["loca"] = glyf, newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for attribute in (
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attribute, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        post = font["post"]
        post.formatType, post.extraNames, post.mapping = 2.0, [], {}
        font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    out.seek(0)
    return out


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as an A4 landscape PDF in the holder's language, its text extractable."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    with translation.override(certificate.holder.language or settings.LANGUAGE_CODE):
        heading = certificate.title
        statement = _statement(certificate.kind)
        facts = [
            (label, value)
            for label, value in certificate_facts(certificate)
            if value != certificate.holder_name
        ]
        verify = _("Verify this certificate at %(url)s") % {"url": certificate_verify_url(certificate)}
        college = certificate.college_name or _("Community College")
    lines = [heading, certificate.holder_name, statement, college, verify, *(f"{a}：{b}" for a, b in facts)]
    font_name = f"cert-{uuid.uuid4().hex}"
    with _font_lock:
        pdfmetrics.registerFont(TTFont(font_name, cjk_subset_font("".join(lines) + "：–·")))
    try:
        buffer = io.BytesIO()
        width, height = landscape(A4)
        pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=True)
        pdf.setTitle(f"{heading} · {certificate.holder_name}")
        pdf.setAuthor(college)
        pdf.setStrokeColorRGB(0.6, 0.1, 0.1)
        pdf.setLineWidth(3)
        pdf.rect(28, 28, width - 56, height - 56)
        pdf.setLineWidth(1)
        pdf.rect(38, 38, width - 76, height - 76)

        def centred(text: str, y: float, size: float) -> None:
            # Long titles shrink to fit the frame rather than run off the page.
            while size > 8 and pdfmetrics.stringWidth(text, font_name, size) > width - 120:
                size -= 1
            pdf.setFont(font_name, size)
            pdf.drawCentredString(width / 2, y, text)

        pdf.setFillColorRGB(0.6, 0.1, 0.1)
        centred(heading, height - 110, 34)
        pdf.setFillColorRGB(0, 0, 0)
        centred(certificate.holder_name, height - 175, 28)
        if statement:
            centred(statement, height - 210, 14)
        y = height - 255
        for label, value in facts:
            centred(f"{label}：{value}", y, 14)
            y -= 24
        centred(college, 80, 16)
        pdf.setFillColorRGB(0.35, 0.35, 0.35)
        centred(verify, 56, 9)
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()
    finally:
        # Each PDF registers its own subset under a one-off name; drop it so a long-running worker does not
        # keep every certificate's font (ReportLab has no public way to unregister).
        pdfmetrics._fonts.pop(font_name, None)  # noqa: SLF001  (see above)
