"""Residents' pages of the teacher pool: recommending someone who could teach."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from interests.selectors import profile_for

from .forms import RecommendationForm
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
