"""Residents' ratings of sessions and the colleges' star records in the staff admin.

A rating is the resident's own word: staff of the session's community may hide it (moderation) but not
edit it. Star records are computed by the district and are read-only except for superusers.

Recognition rounds (榜样评选) are run on their own staff pages through `ratings.recognition.services`; here
their rows are read by staff whose scope meets the round's area (its street, or its district), and the
steps staff take (start the public notice, answer objections, decide candidates, close the round) are admin
actions calling those same services, which check the round's managers and state object by object.
Votes are read by superusers and the district office only: to a round's staff a list of votes would be the
running totals that `totals_visible` withholds while voting runs.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.helpers import ActionForm
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scoping import ReadOnlyAdminMixin, ScopedAdminMixin, run_service_action
from accounts.models import Community
from accounts.selectors import Scope

from .enums import Decision
from .models import (
    Candidate,
    CollegeStarRecord,
    Nomination,
    Objection,
    RecognitionCategory,
    RecognitionRound,
    SessionRating,
    Vote,
)
from .recognition import services


@admin.register(SessionRating)
class SessionRatingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "session__course__community"
    staff_may_delete = False
    list_display = ("stars", "short_comment", "session", "teacher", "resident", "is_hidden", "created")
    list_select_related = ("session__course", "teacher", "resident")
    list_filter = ("stars", "is_hidden", ("session__course__community", RelatedOnlyFieldListFilter))
    search_fields = ("comment", "teacher__name", "session__course__title")
    ordering = ("-created",)
    date_hierarchy = "created"
    show_full_result_count = False
    fields = ("session", "resident", "teacher", "stars", "comment", "is_hidden", "created", "updated")
    readonly_fields = ("session", "resident", "teacher", "stars", "comment", "created", "updated")

    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return obj.comment if len(obj.comment) <= 40 else f"{obj.comment[:40]}…"

    def has_add_permission(self, request):
        # Residents rate sessions they attended, through the rating service; nobody rates on their behalf.
        return False


@admin.register(CollegeStarRecord)
class CollegeStarRecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    community_path = "college__community"
    district_managed = True
    list_display = ("college", "period", "stars", "score", "computed_at")
    list_select_related = ("college",)
    list_filter = ("stars", ("college__community__street", RelatedOnlyFieldListFilter))
    search_fields = ("college__name",)
    ordering = ("college__name", "-period")
    date_hierarchy = "period"
    readonly_fields = ("computed_at",)


# --- recognition rounds: rows written by services, scoped by the round's area -------------------------------


class _InRoundArea(ReadOnlyAdminMixin, ScopedAdminMixin):
    """Rows of a recognition round, seen by staff whose communities lie in the round's street or district.

    `community_path` names the street way for the test matrix and the forms; a district round has no street,
    so the rows and objects are decided by `filter_by_scope` and `object_in_scope` below.
    """

    round_path = ""  # from the model to its RecognitionRound; "" for the round itself
    community_path = "street__communities"

    def _prefix(self) -> str:
        return f"{self.round_path}__" if self.round_path else ""

    def filter_by_scope(self, queryset: QuerySet, scope: Scope) -> QuerySet:
        if scope.everything:
            return queryset
        communities = Community.objects.filter(pk__in=scope.community_ids)
        prefix = self._prefix()
        return queryset.filter(
            Q(**{f"{prefix}street__in": communities.values("street_id")})
            | Q(**{f"{prefix}district__in": communities.values("street__district_id")})
        )

    def object_in_scope(self, scope: Scope, obj) -> bool:
        if self.district_only and not scope.reads_districts:
            return False
        if scope.everything:
            return True
        round = obj
        for hop in self.round_path.split("__") if self.round_path else ():
            round = getattr(round, hop)
        return (
            Community.objects.filter(pk__in=scope.community_ids)
            .filter(Q(street_id=round.street_id) | Q(street__district_id=round.district_id))
            .exists()
        )


@admin.register(RecognitionRound)
class RecognitionRoundAdmin(_InRoundArea, admin.ModelAdmin):
    list_display = ("title", "term", "street", "district", "status", "created", "closed_at")
    list_select_related = ("term", "street", "district")
    list_filter = ("status", "term")
    search_fields = ("title",)
    ordering = ("-created", "-id")
    show_full_result_count = False
    readonly_fields = (
        "title",
        "term",
        "district",
        "street",
        "status",
        "opened_by",
        "created",
        "notice_starts_at",
        "notice_ends_at",
        "closed_at",
        "gives_certificate",
        "gives_badge",
        "priority_days",
        "gives_showcase_invitation",
    )
    fields = readonly_fields
    actions = ["start_notice", "close_rounds"]

    @admin.action(description=_("Close nominations and start the public notice"), permissions=["act"])
    def start_notice(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda r: services.round_start_notice(round=r, actor=request.user),
            done=lambda n: (
                ngettext(
                    "The public notice of %(count)d round started.",
                    "The public notice of %(count)d rounds started.",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Close the selected rounds"), permissions=["act"])
    def close_rounds(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda r: services.round_close(round=r, actor=request.user),
            done=lambda n: ngettext("%(count)d round closed.", "%(count)d rounds closed.", n) % {"count": n},
        )


@admin.register(RecognitionCategory)
class RecognitionCategoryAdmin(_InRoundArea, admin.ModelAdmin):
    round_path = "round"
    community_path = "round__street__communities"
    list_display = ("name", "round", "kind", "winners", "sort_order")
    list_select_related = ("round",)
    list_filter = ("kind",)
    search_fields = ("name", "round__title")
    ordering = ("round", "sort_order", "id")
    show_full_result_count = False
    fields = ("round", "name", "kind", "rules", "winners", "sort_order")
    readonly_fields = fields


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Recorded with each decision or answer, and shown with it."),
    )


@admin.register(Candidate)
class CandidateAdmin(_InRoundArea, admin.ModelAdmin):
    round_path = "round"
    community_path = "round__street__communities"
    # No vote counts here: the totals are the selectors' to show, once voting is over.
    list_display = ("__str__", "category", "round", "community", "source", "decision", "story_status")
    list_select_related = ("category", "round", "community", "teacher", "group", "person")
    list_filter = ("decision", "source", "story_status")
    search_fields = ("teacher__name", "group__name", "person__name", "round__title")
    ordering = ("round", "category", "id")
    show_full_result_count = False
    fields = (
        "round",
        "category",
        "teacher",
        "group",
        "person",
        "community",
        "source",
        "decision",
        "decision_reason",
        "decided_by",
        "decided_at",
        "story",
        "story_status",
        "story_answered_at",
        "created",
    )
    readonly_fields = fields
    action_form = ReasonForm
    actions = ["decide_won", "decide_not_chosen"]

    def _decide(self, request, queryset, won: bool):
        reason = request.POST.get("reason", "")
        run_service_action(
            self,
            request,
            queryset,
            lambda c: services.candidate_decide(candidate=c, actor=request.user, won=won, reason=reason),
            done=lambda n: (
                ngettext("%(count)d candidate decided.", "%(count)d candidates decided.", n) % {"count": n}
            ),
        )

    @admin.action(description=_("Recognise the selected candidates (with the reason)"), permissions=["act"])
    def decide_won(self, request, queryset):
        self._decide(request, queryset.exclude(decision=Decision.WON), True)

    @admin.action(
        description=_("Do not choose the selected candidates (with the reason)"), permissions=["act"]
    )
    def decide_not_chosen(self, request, queryset):
        self._decide(request, queryset.exclude(decision=Decision.NOT_CHOSEN), False)


@admin.register(Nomination)
class NominationAdmin(_InRoundArea, admin.ModelAdmin):
    round_path = "candidate__round"
    community_path = "candidate__round__street__communities"
    list_display = ("candidate", "nominator", "by_staff", "created")
    list_select_related = ("candidate__teacher", "candidate__group", "candidate__person", "nominator")
    list_filter = ("by_staff",)
    search_fields = ("nominator__name", "reason", "candidate__round__title")
    ordering = ("-created", "-id")
    show_full_result_count = False
    fields = ("candidate", "nominator", "reason", "by_staff", "created")
    readonly_fields = fields


@admin.register(Objection)
class ObjectionAdmin(_InRoundArea, admin.ModelAdmin):
    round_path = "candidate__round"
    community_path = "candidate__round__street__communities"
    list_display = ("candidate", "raised_by", "created", "answered_by", "answered_at")
    list_select_related = (
        "candidate__teacher",
        "candidate__group",
        "candidate__person",
        "raised_by",
        "answered_by",
    )
    search_fields = ("raised_by__name", "reason", "candidate__round__title")
    ordering = ("-created", "-id")
    show_full_result_count = False
    fields = ("candidate", "raised_by", "reason", "created", "answer", "answered_by", "answered_at")
    readonly_fields = fields
    action_form = ReasonForm
    actions = ["answer_objections"]

    @admin.action(
        description=_("Answer the selected objections (the reason is the answer)"), permissions=["act"]
    )
    def answer_objections(self, request, queryset):
        answer = request.POST.get("reason", "")
        run_service_action(
            self,
            request,
            queryset,
            lambda o: services.objection_answer(objection=o, actor=request.user, answer=answer),
            done=lambda n: (
                ngettext("%(count)d objection answered.", "%(count)d objections answered.", n) % {"count": n}
            ),
        )


@admin.register(Vote)
class VoteAdmin(_InRoundArea, admin.ModelAdmin):
    # One row per ballot and no counts; still, a round's staff would count the rows, so the district reads them
    # (a district office those of its own district's rounds).
    round_path = "round"
    community_path = "round__street__communities"
    district_only = True
    list_display = ("round", "category", "candidate", "voter", "created")
    list_select_related = (
        "round",
        "category",
        "candidate__teacher",
        "candidate__group",
        "candidate__person",
        "voter",
    )
    search_fields = ("voter__name", "round__title")
    ordering = ("-created", "-id")
    show_full_result_count = False
    fields = ("round", "category", "candidate", "voter", "created")
    readonly_fields = fields
