"""Notices of certificates and of the reconfirmation of places (no-shows).

A listener of the activities app's signals (`activities.signals`, connected in NoticesConfig.ready): each
signal enqueues a task through the outbox, after commit; the task calls a function here. Texts in the
recipient's language; idempotent through the notice's object key; a notice that is no longer true when the
task runs (a request already answered) is not sent.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activities.certificates import certificate_verify_url
from activities.enums import ReconfirmationStatus
from activities.models import Certificate, NoShowRule, Reconfirmation
from activities.noshow import reconfirmation_link_token
from ops import outbox

from . import texts
from .enums import Purpose
from .selectors import url_or_empty
from .services import Draft, _render, notices_create, recipient_of
from .texts import Texts, _sms, when

# --- Listeners: ids in, a task through the outbox ----------------------------------------------------------------


def on_certificate_issued(sender, certificate_id: int, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_certificate", certificate_id)


def on_reconfirmation_changed(sender, reconfirmation_id: int, kind: str, **kwargs) -> None:
    if kind in ("asked", "released"):
        outbox.enqueue("notices.tasks.notify_reconfirmation", reconfirmation_id, kind)


def on_noshow_rule_changed(sender, rule_id: int, kind: str, **kwargs) -> None:
    outbox.enqueue("notices.tasks.notify_noshow_rule", rule_id, kind)


def connect() -> None:
    from activities import signals

    signals.certificate_issued.connect(on_certificate_issued, dispatch_uid="notices.certificate_issued")
    signals.reconfirmation_changed.connect(
        on_reconfirmation_changed, dispatch_uid="notices.reconfirmation_changed"
    )
    signals.noshow_rule_changed.connect(on_noshow_rule_changed, dispatch_uid="notices.noshow_rule_changed")


# --- Texts ---------------------------------------------------------------------------------------------------


def certificate_texts(*, title: str, subject: str, url: str) -> Texts:
    names = {"title": title, "subject": subject, "url": texts.absolute(url)}
    about = _("%(title)s: %(subject)s") % names if subject else title
    return Texts(
        title=_("A certificate for you: %(about)s") % {"about": about},
        body=_("Your certificate “%(about)s” is ready. Download it from My certificates: %(url)s")
        % {**names, "about": about},
        sms=_sms(_("Your certificate “%(about)s” is ready: %(url)s") % {**names, "about": about}),
    )


def reconfirm_texts(*, course: str, starts_at, deadline, url: str, under_rule: bool) -> Texts:
    names = {"title": course, "when": when(starts_at), "deadline": when(deadline), "url": texts.absolute(url)}
    why = (
        _("You missed sessions without notice this term, so we ask before each session.")
        if under_rule
        else _("Others are waiting for a place in this class.")
    )
    return Texts(
        title=_("Will you come? Reconfirm your place: %(title)s") % names,
        body=_("%(title)s meets on %(when)s.") % names
        + " "
        + why
        + "\n"
        + _(
            "Reconfirm your place by %(deadline)s, or give it up for the next person on the waiting list: %(url)s. "
            "A place not reconfirmed by then goes to the waiting list."
        )
        % names,
        sms=_sms(_("%(title)s, %(when)s: will you come? Reconfirm by %(deadline)s: %(url)s") % names),
    )


def released_texts(*, course: str, starts_at, url: str) -> Texts:
    names = {"title": course, "when": when(starts_at), "url": texts.absolute(url)}
    return Texts(
        title=_("Your place went to the waiting list: %(title)s") % names,
        body=_(
            "You did not reconfirm your place in %(title)s before the session on %(when)s, so it went to the next "
            "person on the waiting list. You may register again: %(url)s"
        )
        % names,
        sms=_sms(_("Not reconfirmed: your place in %(title)s went to the waiting list.") % names),
    )


def rule_texts(*, term: str, absences: int, url: str) -> Texts:
    names = {"term": term, "count": absences, "url": texts.absolute(url)}
    missed = (
        ngettext(
            "You missed %(count)d session of %(term)s without telling us.",
            "You missed %(count)d sessions of %(term)s without telling us.",
            absences,
        )
        % names
    )
    return Texts(
        title=_("Please reconfirm each session for the rest of %(term)s") % names,
        body=missed
        + " "
        + _(
            "Others wait for these places. Until the end of the term we will ask you before each session; a place "
            "not reconfirmed goes to the waiting list. If you cannot come, tell your class's staff or teacher "
            "beforehand: an excused absence does not count. %(url)s"
        )
        % names,
        sms=_sms(missed + " " + _("Please reconfirm each session when we ask, until the end of the term.")),
    )


def rule_lifted_texts(*, term: str) -> Texts:
    names = {"term": term}
    return Texts(
        title=_("You no longer need to reconfirm every session: %(term)s") % names,
        body=_("Your community's staff lifted the reconfirmation rule for %(term)s. Thank you for coming!")
        % names,
        sms=_sms(_("The reconfirmation rule for %(term)s is lifted.") % names),
    )


# --- Services the tasks call ---------------------------------------------------------------------------------


def notify_certificate(*, certificate_id: int) -> int:
    certificate = Certificate.objects.select_related("holder__profile").filter(pk=certificate_id).first()
    if certificate is None:
        return 0
    recipient = recipient_of(certificate.holder)
    url = url_or_empty("activities:my_certificates") or certificate_verify_url(certificate)
    rendered = _render(
        recipient.language,
        certificate_texts,
        title=certificate.title,
        subject=certificate.course_title,
        url=url,
    )
    draft = Draft(recipient, f"certificate:{certificate.pk}", rendered, url)
    return notices_create(purpose=Purpose.CERTIFICATE_ISSUED, drafts=[draft])


def notify_reconfirmation(*, reconfirmation_id: int, kind: str) -> int:
    reconfirmation = (
        Reconfirmation.objects.select_related("resident__profile", "session__course")
        .filter(pk=reconfirmation_id)
        .first()
    )
    if reconfirmation is None:
        return 0
    recipient = recipient_of(reconfirmation.resident)
    session = reconfirmation.session
    if kind == "asked":
        if reconfirmation.status != ReconfirmationStatus.ASKED or reconfirmation.deadline <= timezone.now():
            return 0
        url = reverse("activities:reconfirm_link", args=[reconfirmation_link_token(reconfirmation)])
        rendered = _render(
            recipient.language,
            reconfirm_texts,
            course=session.course.title,
            starts_at=session.starts_at,
            deadline=reconfirmation.deadline,
            url=url,
            under_rule=reconfirmation.reason == "noshow_rule",
        )
        purpose = Purpose.RECONFIRM_REQUEST
    elif kind == "released":
        if reconfirmation.status != ReconfirmationStatus.RELEASED:
            return 0
        url = url_or_empty("activities:course_detail", session.course_id)
        rendered = _render(
            recipient.language,
            released_texts,
            course=session.course.title,
            starts_at=session.starts_at,
            url=url,
        )
        purpose = Purpose.PLACE_RELEASED
    else:
        return 0
    draft = Draft(recipient, f"reconfirmation:{reconfirmation.pk}", rendered, url)
    return notices_create(purpose=purpose, drafts=[draft])


def notify_noshow_rule(*, rule_id: int, kind: str) -> int:
    rule = NoShowRule.objects.select_related("resident__profile", "term").filter(pk=rule_id).first()
    if rule is None:
        return 0
    recipient = recipient_of(rule.resident)
    if kind == "imposed" and rule.lifted_at is None:
        url = url_or_empty("interests:my_orders")
        rendered = _render(
            recipient.language, rule_texts, term=rule.term.name, absences=rule.absences, url=url
        )
        purpose = Purpose.NOSHOW_RULE
    elif kind == "lifted" and rule.lifted_at is not None:
        url = url_or_empty("interests:my_orders")
        rendered = _render(recipient.language, rule_lifted_texts, term=rule.term.name)
        purpose = Purpose.NOSHOW_RULE_LIFTED
    else:
        return 0
    draft = Draft(recipient, f"noshow-rule:{rule.pk}", rendered, url)
    return notices_create(purpose=purpose, drafts=[draft])
