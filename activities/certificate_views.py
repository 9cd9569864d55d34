"""Certificate pages: my certificates with their PDFs, and the public verification page of one certificate.

The verification page is public (a certificate is shown to whoever asks, by its code) and shows the
certificate's facts and nothing else: no account, no phone, no other certificates of the holder.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .certificates import certificate_by_code, certificate_facts, certificate_pdf, certificates_of
from .models import Certificate


@login_required
@require_GET
def my_certificates(request: HttpRequest) -> HttpResponse:
    certificates = list(certificates_of(user=request.user))
    return render(request, "activities/my_certificates.html", {"certificates": certificates})


def pdf_response(certificate: Certificate) -> HttpResponse:
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    # A personal document: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's certificate does not exist for this user (404, not 403: ids are not confirmed).
    certificate = get_object_or_404(Certificate.objects.select_related("holder"), pk=pk, holder=request.user)
    return pdf_response(certificate)


@require_GET
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_by_code(code)
    if certificate is None:
        raise Http404
    return render(
        request,
        "activities/certificate_verify.html",
        {"certificate": certificate, "facts": certificate_facts(certificate)},
    )
