"""Writes about the teacher pool: residents' recommendations of new teachers and their review."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, mobile_validator, normalise_phone
from accounts.selectors import require_change, scope_for
from community_college.errors import ConflictError, ScopeError, field_error

from .enums import TeacherKind, TeacherSource
from .models import RecommendationStatus, Teacher, TeacherAvailability, TeacherRecommendation, TeacherSkill


def teacher_recommendation_submit(
    *, resident: User, name: str, phone: str = "", categories: Iterable = (), note: str = ""
) -> TeacherRecommendation:
    """A resident recommends someone for the pool; it waits for their community's staff."""
    profile = getattr(resident, "profile", None)
    if profile is None:
        raise ConflictError(_("Choose your home community in your profile first."), code="no_profile")
    recommendation = TeacherRecommendation(
        recommended_by=resident,
        community_id=profile.community_id,
        name=name.strip(),
        phone=normalise_phone(phone) or "",
        note=note.strip(),
    )
    if recommendation.phone:
        mobile_validator(recommendation.phone)
    recommendation.full_clean()
    with transaction.atomic():
        recommendation.save()
        recommendation.categories.set(categories)
    return recommendation


def _locked_pending(recommendation: TeacherRecommendation, actor: User) -> TeacherRecommendation:
    locked = TeacherRecommendation.objects.select_for_update().get(pk=recommendation.pk)
    require_change(
        actor, locked.community_id, elsewhere=_("This recommendation belongs to another community.")
    )
    if locked.status != RecommendationStatus.PENDING:
        raise ConflictError(_("This recommendation has already been decided."), code="decided")
    return locked


@transaction.atomic
def teacher_recommendation_approve(
    *,
    recommendation: TeacherRecommendation,
    actor: User,
    source: str = TeacherSource.RESIDENT,
    kind: str = TeacherKind.GRASSROOTS,
) -> Teacher:
    """Approve a recommendation: the teacher joins the pool in the community, with the recommended skills."""
    locked = _locked_pending(recommendation, actor)
    community = locked.community
    teacher = Teacher(
        name=locked.name,
        phone=locked.phone,
        source=source,
        kind=kind,
        community=community,
        recommended_by=locked.recommended_by,
        latitude=community.latitude,
        longitude=community.longitude,
    )
    teacher._history_user = actor
    teacher.full_clean()
    teacher.save()
    TeacherSkill.objects.bulk_create(
        [
            TeacherSkill(teacher=teacher, category_id=pk)
            for pk in locked.categories.values_list("pk", flat=True)
        ]
    )
    locked.status = RecommendationStatus.APPROVED
    locked.teacher = teacher
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "teacher", "decided_by", "decided_at"])
    recommendation.refresh_from_db()
    return teacher


@transaction.atomic
def teacher_recommendation_reject(
    *, recommendation: TeacherRecommendation, actor: User, reason: str
) -> TeacherRecommendation:
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Give the resident a reason for the rejection."), code="reason_required")
    locked = _locked_pending(recommendation, actor)
    locked.status = RecommendationStatus.REJECTED
    locked.reject_reason = reason[:300]
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    recommendation.refresh_from_db()
    return recommendation


@transaction.atomic
def teacher_profile_update(
    *, teacher: Teacher, actor: User, windows: Iterable, max_weekly_sessions: int
) -> Teacher:
    """Replace the teacher's free times and weekly maximum (what the matching service reads), whole or not at all.

    `windows`: (weekday 0–6, start, end) triples. The teacher changes their own; staff of the teacher's
    community keep their admin path. Overlapping or reversed windows are refused with nothing saved.
    """
    if teacher.user_id != actor.pk and not scope_for(actor).can_change_community(teacher.community_id):
        raise ScopeError(
            _("Only the teacher or their community's staff can change these free times."), code="scope"
        )
    locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
    rows = [TeacherAvailability(teacher=locked, weekday=w, start=s, end=e) for w, s, e in windows]
    for row in rows:
        row.full_clean(exclude=["teacher"])
    by_day: dict[int, list] = {}
    for row in sorted(rows, key=lambda r: (r.weekday, r.start)):
        previous = by_day.get(row.weekday)
        if previous and previous[-1].end > row.start:
            raise field_error("windows", _("Two of your free times overlap on the same day."), code="overlap")
        by_day.setdefault(row.weekday, []).append(row)
    locked.max_weekly_sessions = max_weekly_sessions
    locked._history_user = actor
    locked.full_clean(exclude=["user", "community", "recommended_by"])
    locked.save(update_fields=["max_weekly_sessions"])
    TeacherAvailability.objects.filter(teacher=locked).delete()
    TeacherAvailability.objects.bulk_create(rows)
    teacher.max_weekly_sessions = locked.max_weekly_sessions
    return locked
