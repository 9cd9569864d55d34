"""Certificate pages: my certificates with their PDFs, the public verification page of one certificate, and
a volunteer's hours with the button for their hours certificate.

The verification page is public (a certificate is shown to whoever asks, by its code) and shows the
certificate's facts and nothing else: no account, no phone, no other certificates of the holder.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

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


# --- Volunteer hours (志愿服务) ----------------------------------------------------------------------------------


@login_required
@require_GET
def my_volunteer_hours(request: HttpRequest) -> HttpResponse:
    from . import volunteering

    if not volunteering.is_volunteer(request.user):
        raise Http404
    return render(
        request,
        "activities/my_volunteer_hours.html",
        {
            "hours": volunteering.volunteer_hours(volunteer=request.user),
            "shifts": list(volunteering.volunteer_shifts(volunteer=request.user)[:200]),
        },
    )


@login_required
@require_POST
def volunteer_certificate(request: HttpRequest) -> HttpResponse:
    from . import volunteering

    if not volunteering.is_volunteer(request.user):
        raise Http404
    try:
        certificate = volunteering.volunteer_certificate_issue(volunteer=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("activities:my_volunteer_hours")
    messages.success(request, _("Your volunteer hours certificate is ready."))
    return redirect(f"{reverse('activities:my_certificates')}#certificate-{certificate.pk}")
