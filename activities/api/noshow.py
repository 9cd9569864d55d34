"""Residents: my certificates (and their PDFs), my reconfirmation requests (keep / give up), my volunteer
hours and hours certificate. Staff: volunteer hours of their scope, confirmed or refused.

Every view calls the services of `activities.certificates`, `activities.noshow` and `activities.volunteering`;
a resident's own rows only (anyone else's id is a 404).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope
from accounts.selectors import scope_for
from activities import certificates, noshow, volunteering
from activities.models import Certificate, Reconfirmation, VolunteerShift
from community_college.exceptions import errors

PDF = "application/pdf"


class CertificateSerializer(serializers.ModelSerializer):
    verification_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "kind",
            "code",
            "holder_name",
            "title",
            "college_name",
            "course_title",
            "teacher_name",
            "hours",
            "period_start",
            "period_end",
            "issued_at",
            "verification_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_verification_url(self, obj) -> str:
        return certificates.certificate_verify_url(obj)

    def get_pdf_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("v1:my-certificate-pdf", args=[obj.pk])


class ReconfirmationSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="session.course_id", read_only=True)
    course_title = serializers.CharField(source="session.course.title", read_only=True)
    starts_at = serializers.DateTimeField(source="session.starts_at", read_only=True)

    class Meta:
        model = Reconfirmation
        fields = [
            "id",
            "session",
            "course",
            "course_title",
            "starts_at",
            "reason",
            "status",
            "asked_at",
            "deadline",
            "answered_at",
        ]
        read_only_fields = fields


class VolunteerShiftSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="session.course.title", read_only=True)
    starts_at = serializers.DateTimeField(source="session.starts_at", read_only=True)
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)

    class Meta:
        model = VolunteerShift
        fields = [
            "id",
            "session",
            "course_title",
            "starts_at",
            "volunteer",
            "volunteer_name",
            "hours",
            "task",
            "status",
        ]
        read_only_fields = fields


class VolunteerHoursSerializer(serializers.Serializer):
    confirmed = serializers.DecimalField(max_digits=9, decimal_places=1)
    awaiting = serializers.DecimalField(max_digits=9, decimal_places=1)
    shifts = VolunteerShiftSerializer(many=True)


# --- Certificates ---------------------------------------------------------------------------------------------


@extend_schema(tags=["resident"])
class MyCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CertificateSerializer
    queryset = Certificate.objects.none()  # for the schema; get_queryset() scopes to the holder

    def get_queryset(self):
        return certificates.certificates_of(user=self.request.user)

    @extend_schema(
        summary="My certificates, newest first",
        responses={200: CertificateSerializer(many=True), **errors(404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One of my certificates", responses={200: CertificateSerializer, **errors(404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class PdfRenderer(BaseRenderer):
    """Declares the PDF's media type; the view hands over finished bytes."""

    media_type = PDF
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PdfOrJsonErrors(BaseContentNegotiation):
    """Whatever Accept says: the PDF on success, the JSON error shape otherwise (never 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["resident"])
class MyCertificatePdfView(GenericAPIView):
    renderer_classes = [PdfRenderer]
    content_negotiation_class = PdfOrJsonErrors
    queryset = Certificate.objects.none()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            # Only errors come as Response objects here: they keep the API's JSON shape.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        operation_id="me_certificates_pdf",
        summary="One of my certificates as a PDF",
        responses={
            (200, PDF): OpenApiResponse(
                OpenApiTypes.BINARY, description="The certificate, A4, Chinese fonts embedded."
            ),
            **{(code, "application/json"): answer for code, answer in errors(404).items()},
        },
    )
    def get(self, request, pk: int):
        certificate = get_object_or_404(
            Certificate.objects.select_related("holder"), pk=pk, holder=request.user
        )
        response = HttpResponse(certificates.certificate_pdf(certificate), content_type=PDF)
        response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- Reconfirmations ------------------------------------------------------------------------------------------


@extend_schema(tags=["resident"])
class MyReconfirmationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReconfirmationSerializer
    queryset = Reconfirmation.objects.none()  # for the schema; get_queryset() scopes to the resident

    def get_queryset(self):
        return noshow.resident_reconfirmations(user=self.request.user)

    @extend_schema(
        summary="My reconfirmation requests: open ones and those of the last 30 days",
        responses={200: ReconfirmationSerializer(many=True), **errors(404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One of my reconfirmation requests", responses={200: ReconfirmationSerializer, **errors(404)}
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def _answer(self, keep: bool) -> Response:
        reconfirmation = self.get_object()
        answered = noshow.reconfirmation_answer(
            reconfirmation=reconfirmation, resident=self.request.user, keep=keep
        )
        answered = self.get_queryset().get(pk=answered.pk)
        return Response(ReconfirmationSerializer(answered).data)

    @extend_schema(
        summary="I will come: keep my place for this session (until the deadline)",
        request=None,
        responses={200: ReconfirmationSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._answer(keep=True)

    @extend_schema(
        summary="I cannot come: give my place in the class up for the waiting list",
        request=None,
        responses={200: ReconfirmationSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="give-up")
    def give_up(self, request, pk=None):
        return self._answer(keep=False)


# --- Volunteer hours ------------------------------------------------------------------------------------------


@extend_schema(tags=["resident"])
class MyVolunteerHoursView(GenericAPIView):
    serializer_class = VolunteerHoursSerializer

    def _volunteer(self):
        if not volunteering.is_volunteer(self.request.user):
            raise Http404
        return self.request.user

    @extend_schema(
        summary="My volunteer hours: confirmed, awaiting, and each session",
        responses={200: VolunteerHoursSerializer, **errors(404)},
    )
    def get(self, request):
        user = self._volunteer()
        hours = volunteering.volunteer_hours(volunteer=user)
        shifts = list(volunteering.volunteer_shifts(volunteer=user)[:200])
        return Response(
            VolunteerHoursSerializer(
                {"confirmed": hours.confirmed, "awaiting": hours.awaiting, "shifts": shifts}
            ).data
        )


@extend_schema(tags=["resident"])
class MyVolunteerCertificateView(GenericAPIView):
    serializer_class = CertificateSerializer

    @extend_schema(
        summary="The hours certificate for my confirmed volunteer hours (the same one until more are confirmed)",
        request=None,
        responses={201: CertificateSerializer, **errors(404, 409)},
    )
    def post(self, request):
        if not volunteering.is_volunteer(request.user):
            raise Http404
        certificate = volunteering.volunteer_certificate_issue(volunteer=request.user)
        return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["staff"])
class StaffVolunteerShiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Volunteer hours recorded at the classes of my scope, to confirm or refuse."""

    serializer_class = VolunteerShiftSerializer
    permission_classes = [IsStaffInScope]
    queryset = VolunteerShift.objects.none()

    def get_queryset(self):
        rows = VolunteerShift.objects.select_related("session__course", "volunteer").order_by(
            "-recorded_at", "-id"
        )
        return scope_for(self.request.user).filter(rows, "session__course__community")

    @extend_schema(
        summary="Volunteer hours of my scope",
        responses={200: VolunteerShiftSerializer(many=True), **errors(404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One record of volunteer hours", responses={200: VolunteerShiftSerializer, **errors(404)}
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def _decide(self, confirm: bool) -> Response:
        shift = volunteering.volunteer_shift_decide(
            shift=self.get_object(), actor=self.request.user, confirm=confirm
        )
        return Response(VolunteerShiftSerializer(self.get_queryset().get(pk=shift.pk)).data)

    @extend_schema(
        summary="Confirm these hours",
        request=None,
        responses={200: VolunteerShiftSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._decide(confirm=True)

    @extend_schema(
        summary="Refuse these hours",
        request=None,
        responses={200: VolunteerShiftSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(confirm=False)
