"""榜样评选 in the portal: the rounds, a round's page (nominate, vote, object), the round's staff page (start
the notice, decide, answer objections, write stories, close), a winner's answers and the 榜样 wall.

Every POST calls one service of `ratings.recognition.services`; a refusal comes back as a message on the
page, and nothing was written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User, normalise_phone

from .enums import CandidateKind, RoundStatus
from .models import Candidate, Objection, RecognitionCategory, RecognitionRound
from .recognition import figures, selectors, services


class NominationForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=RecognitionCategory.objects.none(), label=gettext_lazy("Category")
    )
    subject = forms.IntegerField(required=False, label=gettext_lazy("Teacher or group"), widget=forms.Select)
    phone = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Mobile number"),
        help_text=gettext_lazy("For a resident or a volunteer."),
    )
    reason = forms.CharField(
        max_length=500, label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500})
    )

    def __init__(self, *args, round: RecognitionRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = round.categories.all()
        area = figures.Area.of(round)
        choices = [("", "—")]
        for kind in (CandidateKind.TEACHER, CandidateKind.GROUP):
            if any(c.kind == kind for c in round.categories.all()):
                choices += [
                    (s.id, f"{CandidateKind(kind).label} · {s.name}")
                    for s in figures.eligible(kind, area)[:500]
                ]
        self.fields["subject"].widget.choices = choices
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-select form-select-lg"
                if name in ("category", "subject")
                else "form-control form-control-lg"
            )

    def subject_id(self) -> int | None:
        category = self.cleaned_data["category"]
        if category.kind in (CandidateKind.TEACHER, CandidateKind.GROUP):
            return self.cleaned_data.get("subject")
        phone = normalise_phone(self.cleaned_data.get("phone"))
        return User.objects.filter(phone=phone).values_list("pk", flat=True).first() if phone else None


def _round_or_404(pk: int) -> RecognitionRound:
    try:
        return selectors.round_detail(pk=pk)
    except RecognitionRound.DoesNotExist:
        raise Http404(_("There is no such round.")) from None


@require_http_methods(["GET"])
def rounds(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.rounds(), 20).get_page(request.GET.get("page"))
    return render(request, "ratings/recognition/rounds.html", {"page": page})


@require_http_methods(["GET", "POST"])
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A round as residents see it: categories, candidates with their figures, my votes; nominate while
    nominations are open, vote and object during the public notice."""
    round = _round_or_404(pk)
    form = NominationForm(request.POST or None, round=round)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{_login()}?next={request.path}")
        if form.is_valid():
            subject = form.subject_id()
            try:
                if subject is None:
                    raise ValidationError(_("Choose whom you nominate."), code="no_such_nominee")
                services.nomination_create(
                    category=form.cleaned_data["category"],
                    nominator=request.user,
                    subject_id=subject,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Thank you: your nomination is recorded."))
                return redirect("ratings:recognition_round", pk=round.pk)
    viewer = request.user if request.user.is_authenticated else None
    lines = selectors.candidate_lines(round=round, viewer=viewer)
    return render(
        request,
        "ratings/recognition/round.html",
        {
            "round": round,
            "groups": _by_category(round, lines),
            "form": form,
            "labels": {p.key: p.label for p in figures.PROVIDERS},
            "my_votes": selectors.my_votes(round=round, user=request.user),
            "voting_open": services.voting_open(round),
            "may_vote": viewer is not None and services.lives_in_area(viewer, round),
            "may_manage": viewer is not None and services.may_manage(viewer, round),
        },
    )


def _by_category(round, lines):
    groups = {c.pk: (c, []) for c in round.categories.all()}
    for line in lines:
        groups[line.candidate.category_id][1].append(line)
    return list(groups.values())


def _login() -> str:
    from django.conf import settings

    return settings.LOGIN_URL


def _candidate(pk: int) -> Candidate:
    return get_object_or_404(
        Candidate.objects.select_related("round", "category", "teacher__user", "person"), pk=pk
    )


def _done(request, call, success: str) -> None:
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    _done(
        request,
        lambda: services.vote_cast(candidate=candidate, voter=request.user),
        _("Your vote is counted."),
    )
    return redirect("ratings:recognition_round", pk=candidate.round_id)


@login_required
@require_POST
def objection(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    reason = request.POST.get("reason", "")
    _done(
        request,
        lambda: services.objection_raise(candidate=candidate, resident=request.user, reason=reason),
        _("Your objection is recorded; staff will answer it before the round closes."),
    )
    return redirect("ratings:recognition_round", pk=candidate.round_id)


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's staff page: each action is one POST naming it, calling one service."""
    round = _round_or_404(pk)
    if not services.may_manage(request.user, round):
        raise Http404(_("There is no such round."))
    if request.method == "POST":
        action, post = request.POST.get("action"), request.POST
        actions = {
            "start_notice": (
                lambda: services.round_start_notice(round=round, actor=request.user),
                _("The public notice has started."),
            ),
            "close": (
                lambda: services.round_close(round=round, actor=request.user),
                _("The round is closed."),
            ),
            "from_data": (
                lambda: services.candidates_from_data(
                    category=get_object_or_404(RecognitionCategory, pk=post.get("category", 0), round=round),
                    actor=request.user,
                ),
                _("Candidates from the figures were added."),
            ),
            "decide": (
                lambda: services.candidate_decide(
                    candidate=_candidate_of(round, post),
                    actor=request.user,
                    won=post.get("won") == "1",
                    reason=post.get("reason", ""),
                ),
                _("The decision is recorded."),
            ),
            "answer": (
                lambda: services.objection_answer(
                    objection=get_object_or_404(
                        Objection, pk=post.get("objection", 0), candidate__round=round
                    ),
                    actor=request.user,
                    answer=post.get("answer", ""),
                ),
                _("The objection is answered."),
            ),
            "story": (
                lambda: services.story_write(
                    candidate=_candidate_of(round, post), actor=request.user, story=post.get("story", "")
                ),
                _("The story is sent to the person for approval."),
            ),
        }
        if action not in actions:
            raise Http404
        call, success = actions[action]
        _done(request, call, success)
        return redirect("ratings:recognition_manage", pk=round.pk)
    lines = selectors.candidate_lines(round=round, viewer=request.user)
    return render(
        request,
        "ratings/recognition/manage.html",
        {
            "round": round,
            "groups": _by_category(round, lines),
            "labels": {p.key: p.label for p in figures.PROVIDERS},
            "objections": list(selectors.objections(round=round)),
            "voting_over": services.voting_over(round),
            "statuses": RoundStatus,
        },
    )


def _candidate_of(round, post) -> Candidate:
    return get_object_or_404(Candidate, pk=post.get("candidate", 0), round=round)


@login_required
@require_http_methods(["GET", "POST"])
def my_recognitions(request: HttpRequest) -> HttpResponse:
    """A recognised person's page: their story to approve or decline."""
    mine = [
        c
        for c in Candidate.objects.filter(decision="won", round__status=RoundStatus.CLOSED)
        .select_related("round", "category", "teacher__user", "person", "group")
        .order_by("-round__closed_at")
        if (person := services.subject_person(c)) is not None and person.pk == request.user.pk
    ]
    if request.method == "POST":
        candidate = _candidate(int(request.POST.get("candidate", 0) or 0))
        approve = request.POST.get("approve") == "1"
        _done(
            request,
            lambda: services.story_answer(candidate=candidate, person=request.user, approve=approve),
            _("Your story will be published.") if approve else _("Your story will not be published."),
        )
        return redirect("ratings:my_recognitions")
    return render(request, "ratings/recognition/mine.html", {"mine": mine})


@require_http_methods(["GET"])
def wall(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.wall(), 24).get_page(request.GET.get("page"))
    return render(request, "ratings/recognition/wall.html", {"page": page})
