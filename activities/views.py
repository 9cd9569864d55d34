"""The resident portal's class pages: classes near me, a class's page with register / cancel, the iCal feed.

Register and cancel are POSTs that call the registration services. With htmx they answer with the
status block alone (hx-swap); without JavaScript they redirect back to the class page with a message
(POST-redirect-GET). Service refusals are ValidationErrors and are shown, never turned into a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from interests.models import ResidentProfile
from interests.selectors import resident_district_id
from ratings.selectors import liked_interests, teacher_rating

from . import ical, services
from .enums import CourseStatus, PolicyTalkStatus, RegistrationStatus, SessionStatus
from .forms import CourseFilterForm, category_label
from .models import Course, Registration, Session
from .recommend import Ranked
from .selectors import (
    course_for_page,
    course_next_sessions,
    live_registration_statuses,
    nearby_courses,
    registration_state,
    resident_calendar_sessions,
)

PAGE_SIZE = 20
CALENDAR_UID_DOMAIN = "community-college"


# --- helpers ------------------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def _to_sign_in(request: HttpRequest, next_url: str) -> HttpResponse:
    """Anonymous visitors who press a button are sent to sign in, and come back to the class page."""
    if _is_htmx(request):
        # A redirect followed inside the XHR would swap the sign-in page into the status block.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _sign_in_url(next_url)
        return response
    return redirect_to_login(next_url)


def _sign_in_url(next_url: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def distance_label(km: float | None) -> str:
    """"350 m" below a kilometre (to the nearest 10 m), "1.4 km" above."""
    if km is None:
        return ""
    metres = int(round(km * 100) * 10)
    if metres < 1000:
        # Translators: a walking distance in metres, e.g. "350 m" (350 米).
        return _("%(metres)s m") % {"metres": metres}
    # Translators: a distance in kilometres with one decimal, e.g. "1.4 km" (1.4 公里).
    return _("%(km)s km") % {"km": formats.number_format(round(km, 1), 1)}


def reason_label(ranked: Ranked, course: Course) -> str:
    """The recommender's strongest signal, said in one line."""
    return {
        "interest": _("Matches your interest %(interest)s")
        % {"interest": category_label(course.category.name, course.category.name_en)},
        "experience": _("You rated similar classes highly"),
        "field": _("Close to the interests you chose"),
        "time": _("You are free then"),
        "distance": _("Near home"),
        "popular": _("Popular with your neighbours"),
    }.get(ranked.reason, "")


# Reasons drawn from what the resident told us; "near home" and "popular" are said, but not as a recommendation.
RECOMMENDING_REASONS = frozenset({"interest", "experience", "field", "time"})


@dataclass(frozen=True)
class CourseRow:
    course: Course
    category_name: str
    distance: str
    within_walk: bool
    reason: str
    recommended: bool
    status: str | None


# --- classes near me ----------------------------------------------------------------------------------


@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    """Upcoming open classes around home: recommended first, with distance and the reason, 20 a page.

    Queries, whatever the number of classes: the resident's profile and taste (4), the classes (1),
    the resident's registrations among the page's classes (1), the filter options (2).
    """
    # The interests as the resident's district offers them: by id, so that the options are cached per district.
    form = CourseFilterForm(
        request.GET, district=resident_district_id(request.user) if request.user.is_authenticated else None
    )
    filters = form.filters()
    ranked = nearby_courses(user=request.user, liked=liked_interests, **filters)
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    personalised = bool(profile and profile.consent_recommendations)
    page = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = live_registration_statuses(user=request.user, course_ids=[r.candidate.key.pk for r in page])
    rows = [
        CourseRow(
            course=r.candidate.key,
            category_name=category_label(r.candidate.key.category.name, r.candidate.key.category.name_en),
            distance=distance_label(r.distance_km),
            within_walk=r.distance_km is not None and r.distance_km <= settings.WALKING_CIRCLE_KM,
            reason=reason_label(r, r.candidate.key) if personalised else "",
            recommended=personalised and r.reason in RECOMMENDING_REASONS,
            status=statuses.get(r.candidate.key.pk),
        )
        for r in page
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "personalised": personalised,
        "profile": profile,
        "walking_distance": distance_label(settings.WALKING_CIRCLE_KM),
        "statuses": RegistrationStatus,
        "active_filters": sum(value is not None for value in filters.values()),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "class-list":
        return render(request, "activities/_course_list.html", context)
    return render(request, "activities/nearby.html", context)


# --- a class's page, register and cancel -----------------------------------------------------------------


def _course_or_404(pk: int) -> Course:
    try:
        return course_for_page(pk=pk)
    except Course.DoesNotExist:
        raise Http404(_("There is no such class.")) from None


def _status_context(request: HttpRequest, course: Course, *, notice: str = "", error: str = "", **known) -> dict:
    state = registration_state(course=course, user=request.user, **known)
    calendar_url = ""
    if state.status == RegistrationStatus.CONFIRMED:
        # Read with the class where the view could (`registration_create_for`), else from the profile.
        token = getattr(course, "my_calendar_token", None)
        if token is None:
            profile = getattr(request.user, "profile", None)
            token = profile.calendar_token if profile is not None else ""
        if token:
            calendar_url = request.build_absolute_uri(reverse("activities:ical", args=[token]))
    return {
        "course": course,
        "state": state,
        "statuses": RegistrationStatus,
        "notice": notice,
        "error": error,
        "calendar_url": calendar_url,
        # Shown only to a visitor who is not signed in: a resident's answer does not build it.
        "sign_in_url": (
            ""
            if request.user.is_authenticated
            else _sign_in_url(reverse("activities:course_detail", args=[course.pk]))
        ),
    }


@require_GET
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A class: interest, teacher, venue on the map, weekly time, next meetings, and my place in it."""
    course = _course_or_404(pk)
    venue = course.venue
    context = _status_context(request, course)
    context.update(
        category_name=category_label(course.category.name, course.category.name_en),
        field_name=(
            category_label(course.category.parent.name, course.category.parent.name_en) if course.category.parent else ""
        ),
        teacher_rating=teacher_rating(teacher_id=course.teacher_id),
        sessions=course_next_sessions(course=course),
        geo_url=f"geo:{venue.latitude:.6f},{venue.longitude:.6f}" if venue and venue.has_location else "",
        talk_cancelled=PolicyTalkStatus.CANCELLED,
    )
    return render(request, "activities/course_detail.html", context)


def _answer(
    request: HttpRequest, course: Course, *, notice: str = "", error: str = "", next_url: str = "", **known
) -> HttpResponse:
    """htmx: the refreshed status block. Without JavaScript: back to a page, with the message."""
    if _is_htmx(request):
        # registration_state re-reads the class's places with the queue: the service has just changed them.
        context = _status_context(request, course, notice=notice, error=error, **known)
        return render(request, "activities/_registration_status.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("activities:course_detail", pk=course.pk)


@require_POST
def course_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a place, or a place on the waiting list. A double-click makes one registration."""
    if not request.user.is_authenticated:
        return _to_sign_in(request, reverse("activities:course_detail", args=[pk]))
    try:
        # The class is read by the registration statement (PostgreSQL), with the resident's calendar token for
        # the status block's calendar link.
        attempt = services.registration_create_for(course_id=pk, resident=request.user, calendar_token=True)
    except Course.DoesNotExist:
        raise Http404(_("There is no such class.")) from None
    course, registration = attempt.course, attempt.registration
    if attempt.refusal is not None:
        return _answer(request, course, error=" ".join(attempt.refusal.messages))
    if registration.status == RegistrationStatus.CONFIRMED:
        # The status block below already says "You have a place in this class."; this says what happened.
        notice = _("Registered. You find this class under My orders.")
    elif _is_htmx(request):
        notice = _("The class is full, so you are on the waiting list.")  # the block shows the position
    else:
        queue = registration.queue
        position = queue.position if queue is not None else services.waitlist_position(registration=registration)
        notice = _("The class is full. You are number %(position)s on the waiting list.") % {"position": position}
    return _answer(request, course, notice=notice, registration=registration)


@require_POST
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel my registration (or leave the waiting list); the first waiting resident moves up.

    Only the resident's own registrations are found: another resident's id is a 404.
    """
    if not request.user.is_authenticated:
        return _to_sign_in(request, reverse("activities:nearby"))
    registration = get_object_or_404(Registration.objects.select_related("course"), pk=pk, resident=request.user)
    was_waiting = registration.status == RegistrationStatus.WAITLISTED
    try:
        services.registration_cancel(registration=registration, actor=request.user)
    except ValidationError as exc:
        return _answer(request, registration.course, error=" ".join(exc.messages))
    notice = _("You have left the waiting list.") if was_waiting else _("Your registration is cancelled.")
    return _answer(request, registration.course, notice=notice, next_url=request.POST.get("next", ""), registration=None)


# --- my sessions as a calendar -----------------------------------------------------------------------------


def _calendar_event(request: HttpRequest, session: Session) -> ical.Event:
    course = session.course
    venue = session.venue or course.venue
    description = []
    if course.teacher is not None:
        description.append(_("Teacher: %(name)s") % {"name": course.teacher.name})
    talk = getattr(session, "policy_talk", None)
    if talk is not None and talk.status != PolicyTalkStatus.CANCELLED:
        description.append(_("Five minutes before class: %(topic)s") % {"topic": talk.topic})
    return ical.Event(
        uid=f"session-{session.pk}@{CALENDAR_UID_DOMAIN}",
        start=session.starts_at,
        end=session.ends_at,
        summary=course.title,
        location=", ".join(part for part in (venue.name, venue.address) if part) if venue else "",
        geo=(venue.latitude, venue.longitude) if venue is not None and venue.has_location else None,
        description="\n".join(description),
        url=request.build_absolute_uri(reverse("activities:course_detail", args=[course.pk])),
        cancelled=session.status == SessionStatus.CANCELLED or course.status == CourseStatus.CANCELLED,
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's sessions as iCalendar. No sign-in: the unguessable token in the URL is the secret.

    Two queries: the profile by its token, and the sessions.
    """
    profile = get_object_or_404(ResidentProfile.objects.select_related("user"), calendar_token=token)
    # A calendar app fetches without cookies or Accept-Language: write in the resident's own language.
    with translation.override(profile.user.language or settings.LANGUAGE_CODE):
        events = [_calendar_event(request, s) for s in resident_calendar_sessions(user_id=profile.user_id)]
        body = ical.calendar(
            events,
            name=_("My classes · Community College"),
            prodid="-//Community College//Resident portal//EN",
            now=timezone.now(),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # Personal: a phone may keep it a few minutes, a shared proxy never.
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="my-classes.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
