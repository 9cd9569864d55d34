"""返单 in the portal: the sessions awaiting my feedback, and the feedback form of one session."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from activities.models import Attendance, Session

from .forms import FeedbackForm
from .models import SessionRating
from .selectors import editable_ratings, feedback_session, sessions_awaiting_feedback
from .services import EDIT_WINDOW, feedback_submit

PAGE_SIZE = 20


@login_required
@require_http_methods(["GET"])
def pending(request: HttpRequest) -> HttpResponse:
    """Sessions I attended and have not rated yet, and my ratings I can still change.

    Queries besides the session and user: awaiting (count + page) and editable ratings (1).
    """
    page = Paginator(sessions_awaiting_feedback(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ratings/pending.html",
        {"page": page, "editable": list(editable_ratings(user=request.user)[:PAGE_SIZE]), "edit_days": EDIT_WINDOW.days},
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Stars and a comment for a session I attended; once per session, editable for seven days."""
    try:
        session = feedback_session(pk=pk)
    except Session.DoesNotExist:
        raise Http404(_("There is no such session.")) from None
    attended = Attendance.objects.filter(session=session, resident=request.user, attended=True).exists()
    rating = SessionRating.objects.filter(session=session, resident=request.user).first()
    editable_until = rating.created + EDIT_WINDOW if rating else None
    can_edit = attended and (rating is None or timezone.now() <= editable_until)
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                feedback_submit(
                    session=session,
                    resident=request.user,
                    stars=form.cleaned_data["stars"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Thank you for your feedback."))
                return redirect("ratings:pending")
    else:
        initial = {"stars": rating.stars, "comment": rating.comment} if rating else {}
        form = FeedbackForm(initial=initial)
    context = {
        "session": session,
        "form": form,
        "rating": rating,
        "attended": attended,
        "can_edit": can_edit,
        "editable_until": editable_until,
    }
    # Refused (not attended, or too late to change): the page says why, with the matching status code.
    return render(request, "ratings/session_feedback.html", context, status=200 if can_edit else 403)
