"""Notices of 榜样评选 (recognition rounds): winners and their nominators hear when a round closes; a winner
hears when their story waits for their approval.

The ratings app announces through `ratings.signals` (ids only, inside the service's transaction); the
listeners below write the task into the outbox, published after commit. The notice functions are idempotent:
the object key names the candidate, so a redelivered task makes nothing twice.
"""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from ops import outbox
from ratings.enums import Decision
from ratings.models import Candidate, Nomination
from ratings.recognition.services import subject_person

from .enums import Purpose
from .selectors import url_or_empty
from .services import Draft, _render, notices_create, recipient_of
from .texts import Texts, _sms


def on_round_closed(sender, round_id: int, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_recognition_round", round_id)


def on_story_written(sender, candidate_id: int, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_recognition_story", candidate_id)


def connect() -> None:
    """Called from NoticesConfig.ready()."""
    from ratings import signals

    signals.recognition_round_closed.connect(on_round_closed, dispatch_uid="notices.recognition.round_closed")
    signals.recognition_story_written.connect(
        on_story_written, dispatch_uid="notices.recognition.story_written"
    )


def winner_texts(*, category: str, round: str, honours: list[str]) -> Texts:
    names = {"category": category, "round": round, "honours": "、".join(honours)}
    body = _("Congratulations: you are recognised as %(category)s in %(round)s.") % names
    if honours:
        body += "\n" + _("Your honours: %(honours)s.") % names
    return Texts(
        title=_("Recognised: %(category)s") % names,
        body=body,
        sms=_sms(_("Congratulations: you are recognised as %(category)s in %(round)s.") % names),
    )


def nominator_texts(*, name: str, category: str, round: str) -> Texts:
    names = {"name": name, "category": category, "round": round}
    return Texts(
        title=_("%(name)s, whom you nominated, is recognised") % names,
        body=_("%(name)s, whom you nominated, is recognised as %(category)s in %(round)s. Thank you.")
        % names,
        sms=_sms(_("%(name)s, whom you nominated, is recognised as %(category)s. Thank you.") % names),
    )


def story_texts(*, category: str) -> Texts:
    names = {"category": category}
    return Texts(
        title=_("Your story as %(category)s awaits your approval") % names,
        body=_(
            "Staff wrote your story for the role model wall. Read it and approve or decline its publication."
        )
        % names,
        sms=_sms(_("Your role model story awaits your approval; nothing is published without it.")),
    )


def _honours(round) -> list[str]:
    out = []
    if round.gives_certificate:
        out.append(_("a certificate"))
    if round.gives_badge:
        out.append(_("a badge on your profile and your classes or group"))
    if round.priority_days:
        out.append(_("priority registration %(days)d days before everyone") % {"days": round.priority_days})
    if round.gives_showcase_invitation:
        out.append(_("an invitation to the district's annual showcase"))
    return out


def notify_round(*, round_id: int) -> int:
    """Each winner (the person who answers for them) and each nominator of a winner: one notice each."""
    winners = list(
        Candidate.objects.filter(round_id=round_id, decision=Decision.WON)
        .select_related("round", "category", "teacher__user__profile", "person__profile", "group")
        .order_by("id")
    )
    if not winners:
        return 0
    mine = url_or_empty("ratings:my_recognitions")
    wall = url_or_empty("ratings:recognition_wall")
    winner_drafts = []
    for c in winners:
        person = subject_person(c)
        if person is None:
            continue
        recipient = recipient_of(person)
        rendered = _render(
            recipient.language,
            winner_texts,
            category=c.category.name,
            round=c.round.title,
            honours=_honours(c.round),
        )
        winner_drafts.append(Draft(recipient, f"recognition:{c.pk}", rendered, mine))
    nominator_drafts = []
    nominations = (
        Nomination.objects.filter(candidate__in=winners).select_related("nominator__profile").order_by("id")
    )
    by_id = {c.pk: c for c in winners}
    for n in nominations:
        c = by_id[n.candidate_id]
        recipient = recipient_of(n.nominator)
        rendered = _render(
            recipient.language, nominator_texts, name=c.name, category=c.category.name, round=c.round.title
        )
        nominator_drafts.append(Draft(recipient, f"recognition:{c.pk}", rendered, wall))
    return notices_create(purpose=Purpose.RECOGNITION_WINNER, drafts=winner_drafts) + notices_create(
        purpose=Purpose.RECOGNITION_NOMINEE, drafts=nominator_drafts
    )


def notify_story(*, candidate_id: int) -> int:
    c = (
        Candidate.objects.select_related("category", "teacher__user__profile", "person__profile")
        .filter(pk=candidate_id)
        .first()
    )
    person = subject_person(c) if c is not None else None
    if person is None:
        return 0
    recipient = recipient_of(person)
    rendered = _render(recipient.language, story_texts, category=c.category.name)
    # The story may be rewritten: each version asks again (its text is in the object key's version).
    key = f"recognition-story:{c.pk}:{hashlib.sha256(c.story.encode()).hexdigest()[:12]}"
    return notices_create(
        purpose=Purpose.RECOGNITION_STORY,
        drafts=[Draft(recipient, key, rendered, url_or_empty("ratings:my_recognitions"))],
    )
