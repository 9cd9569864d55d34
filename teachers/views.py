"""Pages of the teacher pool: residents recommend someone who could teach; teachers see and run their own
classes (week, term, roster, check-in code, proposed classes, free times, ratings, hours); residents check in
with the code on the teacher's screen."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interests.selectors import profile_for

from .forms import DeclineForm, FreeTimeFormSet, RecommendationForm, WeeklyMaximumForm
from .services import teacher_recommendation_submit


@login_required
@require_http_methods(["GET", "POST"])
def recommend(request: HttpRequest) -> HttpResponse:
    """A resident recommends a teacher; the staff of their home community review it."""
    profile = profile_for(request.user)
    if profile is None:
        messages.info(request, _("First choose your home community."))
        return redirect(f"{reverse('interests:profile')}?{urlencode({'next': request.get_full_path()})}")
    form = RecommendationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            teacher_recommendation_submit(
                resident=request.user,
                name=data["name"],
                phone=data["phone"],
                categories=data["categories"],
                note=data["note"],
            )
        except ValidationError as exc:
            # A bad number or a field the model refuses: shown above the form, nothing saved.
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Thank you: %(community)s will look at your recommendation of %(name)s.")
                % {"community": profile.community.name, "name": data["name"]},
            )
            return redirect("teachers:recommend")
    return render(
        request,
        "teachers/recommend.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )


# --- The teacher's own pages (phone first): week, term, roster, check-in code, proposals, profile, record ------
# A user without the teacher role gets 403; a session or proposal of another teacher does not exist (404).


def _teacher(request: HttpRequest):
    from .selectors import teacher_for

    teacher = teacher_for(request.user)
    if teacher is None:
        raise PermissionDenied(_("These pages are for the portal's teachers."))
    return teacher


def _day_param(value: str | None):
    from datetime import date

    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _geo_url(venue) -> str:
    return (
        f"geo:{venue.latitude:.6f},{venue.longitude:.6f}" if venue is not None and venue.has_location else ""
    )


@login_required
@require_GET
def teach_week(request: HttpRequest) -> HttpResponse:
    """My week: each meeting with its venue (map link), places taken, checked in, and the policy talk of the day."""
    from datetime import timedelta

    from activities.teaching import teacher_proposals, teacher_week, week_bounds

    teacher = _teacher(request)
    day = _day_param(request.GET.get("week"))
    start, end = week_bounds(day)
    sessions = list(teacher_week(teacher=teacher, day=day))
    for session in sessions:
        session.geo_url = _geo_url(session.venue)
    return render(
        request,
        "teachers/portal/week.html",
        {
            "teacher": teacher,
            "sessions": sessions,
            "week_start": timezone.localtime(start).date(),
            "week_end": timezone.localtime(end).date() - timedelta(days=1),
            "previous_week": (timezone.localtime(start) - timedelta(days=7)).date().isoformat(),
            "next_week": timezone.localtime(end).date().isoformat(),
            "proposals_waiting": teacher_proposals(teacher=teacher).filter(status="proposed").count(),
        },
    )


@login_required
@require_GET
def teach_term(request: HttpRequest) -> HttpResponse:
    """My term: the classes of a term with their weekly time, venue, meetings and waiting list."""
    from activities.teaching import teacher_term_courses, teacher_terms

    teacher = _teacher(request)
    terms = list(teacher_terms(teacher=teacher))
    chosen = next((t for t in terms if str(t.pk) == request.GET.get("term")), terms[0] if terms else None)
    courses = list(teacher_term_courses(teacher=teacher, term=chosen))
    for course in courses:
        course.geo_url = _geo_url(course.venue)
    return render(
        request,
        "teachers/portal/term.html",
        {"teacher": teacher, "terms": terms, "term": chosen, "courses": courses},
    )


def _own_session(request: HttpRequest, pk: int):
    from activities.models import Session
    from activities.teaching import teacher_session

    teacher = _teacher(request)
    try:
        return teacher, teacher_session(teacher=teacher, pk=pk)
    except Session.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def teach_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """One meeting's roster: names, masked phones, who checked in; the teacher ticks present / absent / excused."""
    from activities.enums import AttendanceStatus
    from activities.selectors import session_roster
    from activities.services import attendance_record
    from activities.teaching import waiting_list_length

    teacher, session = _own_session(request, pk)
    status = 200
    if request.method == "POST":
        mark = request.POST.get("status", "")
        # Only someone on this meeting's roster can be ticked: the resident is found there, never by any id.
        wanted = request.POST.get("resident", "")
        line = next((line for line in session_roster(session=session) if str(line.resident.pk) == wanted), None)
        resident = line.resident if line is not None else None
        on_roll = resident is not None
        if not on_roll or mark not in AttendanceStatus.values:
            messages.error(request, _("Choose a resident on this roster and present, absent or excused."))
            status = 400
        else:
            try:
                attendance_record(session=session, resident=resident, status=mark, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 409
            else:
                return redirect("teachers:teach_roster", pk=session.pk)
    roster = session_roster(session=session)
    return render(
        request,
        "teachers/portal/roster.html",
        {
            "teacher": teacher,
            "session": session,
            "roster": roster,
            "present": sum(1 for line in roster if line.status == AttendanceStatus.PRESENT),
            "waiting": waiting_list_length(course_id=session.course_id),
            "statuses": AttendanceStatus.choices,
            "roll_call_open": session.starts_at <= timezone.now(),
            "opens_minutes": settings.CHECKIN_OPENS_MINUTES,
        },
        status=status,
    )


def _code_view_data(request: HttpRequest, session) -> dict:
    import segno

    from activities.checkin import checkin_code

    made = checkin_code(session=session)
    url = request.build_absolute_uri(reverse("teachers:checkin", args=[made.code]))
    svg = segno.make(url, error="m").svg_inline(scale=1, omitsize=True, border=2)
    refresh_in = max(1, int((made.refresh_at - timezone.now()).total_seconds()) + 1)
    return {"url": url, "svg": svg, "refresh_in": refresh_in}


@login_required
@require_GET
def teach_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's check-in code, full screen; static/js/checkin.js fetches the next one every minute."""
    from activities.checkin import checkin_window

    teacher, session = _own_session(request, pk)
    opens, closes = checkin_window(session=session)
    context = {"teacher": teacher, "session": session, "opens": opens, "closes": closes}
    try:
        context.update(_code_view_data(request, session))
    except ValidationError as exc:
        context["refusal"] = " ".join(exc.messages)
    return render(request, "teachers/portal/qr.html", context)


@login_required
@require_GET
def teach_qr_code(request: HttpRequest, pk: int) -> JsonResponse:
    """The current code as JSON ({url, svg, refresh_in, present}) for the full-screen page's script."""
    from activities.models import Attendance

    _teacher_row, session = _own_session(request, pk)
    try:
        data = _code_view_data(request, session)
    except ValidationError as exc:
        return JsonResponse({"code": exc.code, "detail": " ".join(exc.messages)}, status=409)
    data["present"] = Attendance.objects.filter(session=session, attended=True).count()
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def teach_proposals(request: HttpRequest) -> HttpResponse:
    from activities.teaching import teacher_proposals

    teacher = _teacher(request)
    return render(
        request,
        "teachers/portal/proposals.html",
        {
            "teacher": teacher,
            "proposals": list(teacher_proposals(teacher=teacher)[:50]),
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def teach_proposal_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or decline a proposed class myself (the consent service's teacher branch); a decline needs a reason."""
    from activities.dispatch.service import proposed_class_teacher_answer
    from activities.models import ProposedClass
    from activities.teaching import teacher_open_proposal, teacher_proposals

    teacher = _teacher(request)
    try:
        proposed = teacher_open_proposal(teacher=teacher, pk=pk)
    except ProposedClass.DoesNotExist:
        raise Http404 from None
    accept = request.POST.get("answer") == "accept"
    form = DeclineForm(request.POST)
    if not accept and not form.is_valid():
        return render(
            request,
            "teachers/portal/proposals.html",
            {
                "teacher": teacher,
                "proposals": list(teacher_proposals(teacher=teacher)[:50]),
                "decline_form": form,
                "failed": pk,
            },
            status=400,
        )
    try:
        proposed_class_teacher_answer(
            proposed=proposed,
            accept=accept,
            actor=request.user,
            note="" if accept else form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Thank you: the community has your answer.")
            if accept
            else _("You declined the class; the community has your reason."),
        )
    return redirect("teachers:teach_proposals")


@login_required
@require_http_methods(["GET", "POST"])
def teach_profile(request: HttpRequest) -> HttpResponse:
    """My free times and weekly maximum: what the matching service reads when it proposes classes."""
    from .services import teacher_profile_update

    teacher = _teacher(request)
    initial = [
        {"weekday": w.weekday, "start": w.start, "end": w.end}
        for w in teacher.availability.order_by("weekday", "start")
    ]
    if request.method == "POST":
        formset = FreeTimeFormSet(request.POST, prefix="free")
        maximum = WeeklyMaximumForm(request.POST)
        if formset.is_valid() and maximum.is_valid():
            windows = [
                (row["weekday"], row["start"], row["end"])
                for row in formset.cleaned_data
                if row and not row.get("DELETE")
            ]
            try:
                teacher_profile_update(
                    teacher=teacher,
                    actor=request.user,
                    windows=windows,
                    max_weekly_sessions=maximum.cleaned_data["max_weekly_sessions"],
                )
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                messages.success(request, _("Your free times are saved."))
                return redirect("teachers:teach_profile")
    else:
        formset = FreeTimeFormSet(initial=initial, prefix="free")
        maximum = WeeklyMaximumForm(initial={"max_weekly_sessions": teacher.max_weekly_sessions})
    failed = request.method == "POST"
    return render(
        request,
        "teachers/portal/profile.html",
        {"teacher": teacher, "formset": formset, "maximum": maximum},
        status=400 if failed else 200,
    )


@login_required
@require_GET
def teach_ratings(request: HttpRequest) -> HttpResponse:
    """My ratings: the one rating (ratings.scores) and the comments past moderation, without residents' names."""
    from ratings.selectors import teacher_comments, teacher_rating

    teacher = _teacher(request)
    return render(
        request,
        "teachers/portal/ratings.html",
        {
            "teacher": teacher,
            "rating": teacher_rating(teacher_id=teacher.pk),
            "comments": list(teacher_comments(teacher_id=teacher.pk)),
        },
    )


@login_required
@require_GET
def teach_hours(request: HttpRequest) -> HttpResponse:
    from activities.teaching import teacher_hours

    teacher = _teacher(request)
    return render(
        request, "teachers/portal/hours.html", {"teacher": teacher, "hours": teacher_hours(teacher=teacher)}
    )


# --- A resident's check-in with the code on the teacher's screen -------------------------------------------

_SCAN_KEY = "checkin_scan"


def _checkin_answer(request: HttpRequest, *, code: str, scanned_at=None) -> HttpResponse:
    from activities.checkin import attendance_check_in

    try:
        result = attendance_check_in(code=code, resident=request.user, scanned_at=scanned_at)
    except ValidationError as exc:
        return render(request, "teachers/checkin.html", {"refusal": " ".join(exc.messages)}, status=409)
    return render(request, "teachers/checkin.html", {"result": result, "session": result.session})


@require_GET
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The link in the QR code. Signed in: checked in at once (the code is a one-minute capability and the
    check-in is idempotent, so a GET is enough: a camera app opens the link, one tap for an elderly resident).
    Not signed in: the code is checked now, kept in the session with the moment of the scan, and the
    resident comes back to `checkin_resume` after signing in."""
    from activities.checkin import checkin_code_session_id

    if request.user.is_authenticated:
        return _checkin_answer(request, code=code)
    try:
        checkin_code_session_id(code=code)
    except ValidationError as exc:
        return render(request, "teachers/checkin.html", {"refusal": " ".join(exc.messages)}, status=409)
    request.session[_SCAN_KEY] = {"code": code, "at": timezone.now().isoformat()}
    return redirect_to_login(reverse("teachers:checkin_resume"))


@login_required
@require_GET
def checkin_resume(request: HttpRequest) -> HttpResponse:
    from datetime import datetime

    scan = request.session.pop(_SCAN_KEY, None)
    if not scan:
        return render(
            request,
            "teachers/checkin.html",
            {"refusal": _("Scan the code on the teacher's screen to check in.")},
            status=409,
        )
    return _checkin_answer(request, code=scan["code"], scanned_at=datetime.fromisoformat(scan["at"]))
