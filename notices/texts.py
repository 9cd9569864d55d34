"""The words of every notice, in the language that is active (callers wrap them in `translation.override`).

Pure: facts in, texts out, no database. Each purpose gives a title (inbox and e-mail subject), a body
(inbox and e-mail) and an SMS text short enough for one or two messages. English is the source language;
the translators fill zh_Hans. Dates, weekdays and times come from Django's own locale formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from community_college.models import Weekday

SMS_MAX = 300


@dataclass(frozen=True)
class Texts:
    title: str
    body: str
    sms: str


@dataclass(frozen=True)
class Name:
    """A category's Chinese name and its English name, if it has one."""

    zh: str
    en: str = ""

    def __str__(self) -> str:
        language = translation.get_language() or ""
        return self.en if language.startswith("en") and self.en else self.zh


@dataclass(frozen=True)
class ClassFacts:
    """What a notice says about a class: taken from the ORM once, rendered in any language."""

    course_id: int
    title: str
    interest: Name
    community: str
    teacher: str = ""
    venue: str = ""
    address: str = ""
    starts_at: datetime | None = None  # the next (or the concerned) session
    weekday: int | None = None
    start: time | None = None
    end: time | None = None
    talk_topic: str = ""


@dataclass(frozen=True)
class DigestLine:
    kind: str  # "course" or "group"
    title: str
    interest: Name
    field: Name | None
    community: str
    venue: str
    starts_at: datetime | None
    reason: str  # Ranked.reason, or "attended"
    km: float | None
    taken: int = 0
    capacity: int = 0


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.NOTICES_SITE_URL.rstrip("/") + url


def when(moment: datetime) -> str:
    """ "3月11日 (星期三) 09:00" / "March 11 (Wednesday) 9 a.m.", in the portal's time zone."""
    return _when(translation.get_language(), moment)


@lru_cache(maxsize=4096)
def _when(language: str | None, moment: datetime) -> str:
    # A digest batch names the same few hundred meetings for hundreds of residents: format each once
    # per language (Django's date formatting is the slowest part of rendering a digest).
    local = timezone.localtime(moment)
    return _("%(date)s (%(weekday)s) %(time)s") % {
        "date": date_format(local, "MONTH_DAY_FORMAT"),
        "weekday": date_format(local, "l"),
        "time": time_format(local, "TIME_FORMAT"),
    }


def _short(moment: datetime) -> str:
    return time_format(timezone.localtime(moment), "TIME_FORMAT")


def _sms(text: str) -> str:
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"


def _when_or_weekly(facts: ClassFacts) -> str:
    if facts.starts_at is not None:
        return when(facts.starts_at)
    if facts.weekday is not None and facts.start is not None:
        return _("every %(weekday)s at %(time)s") % {
            "weekday": Weekday(facts.weekday).label,
            "time": time_format(facts.start, "TIME_FORMAT"),
        }
    return _("time to be announced")


def _place(facts: ClassFacts) -> str:
    return facts.venue or facts.community


def _details(facts: ClassFacts) -> str:
    lines = [_("Class: %(title)s") % {"title": facts.title}]
    if facts.teacher:
        lines.append(_("Teacher: %(teacher)s") % {"teacher": facts.teacher})
    if facts.venue:
        place = f"{facts.venue}, {facts.address}" if facts.address else facts.venue
        lines.append(_("Place: %(place)s") % {"place": place})
    lines.append(_("Time: %(when)s") % {"when": _when_or_weekly(facts)})
    if facts.talk_topic:
        lines.append(_("Five minutes before class: a talk on “%(topic)s”") % {"topic": facts.talk_topic})
    return "\n".join(lines)


# --- Orders (点单 → 接单 → 派单) ------------------------------------------------------------------------


def order_accepted(*, interest: Name, community: str) -> Texts:
    names = {"interest": interest, "community": community}
    return Texts(
        title=_("Your order for %(interest)s has been accepted") % names,
        body=_(
            "%(community)s has accepted your order for %(interest)s. We will tell you as soon as a class is "
            "arranged: the teacher, the place and the time."
        )
        % names,
        sms=_sms(
            _(
                "Your order for %(interest)s was accepted by %(community)s. We will tell you when the class is arranged."
            )
            % names
        ),
    )


def order_rejected(*, interest: Name, community: str, reason: str) -> Texts:
    names = {"interest": interest, "community": community, "reason": reason}
    return Texts(
        title=_("Your order for %(interest)s could not be taken") % names,
        body=_(
            "%(community)s could not take your order for %(interest)s.\nReason: %(reason)s\n"
            "You can order another interest, or ask your community's staff."
        )
        % names,
        sms=_sms(_("Your order for %(interest)s was not taken. Reason: %(reason)s") % names),
    )


def order_dispatched(*, facts: ClassFacts) -> Texts:
    names = {
        "title": facts.title,
        "interest": facts.interest,
        "when": _when_or_weekly(facts),
        "place": _place(facts),
    }
    return Texts(
        title=_("Your class is arranged: %(title)s") % names,
        body=_("Your order for %(interest)s has become a class.") % names + "\n" + _details(facts),
        sms=_sms(_("Class arranged: %(title)s, %(when)s, %(place)s.") % names),
    )


# --- Registrations and classes --------------------------------------------------------------------------


def registration_confirmed(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title, "when": _when_or_weekly(facts), "place": _place(facts)}
    return Texts(
        title=_("Your place is confirmed: %(title)s") % names,
        body=_("Your place in %(title)s is confirmed.") % names + "\n" + _details(facts),
        sms=_sms(_("Place confirmed: %(title)s, %(when)s, %(place)s.") % names),
    )


def registration_waitlisted(*, facts: ClassFacts, position: int | None) -> Texts:
    names = {"title": facts.title, "position": position or 1}
    return Texts(
        title=_("You are on the waiting list: %(title)s") % names,
        body=_(
            "%(title)s is full. You are number %(position)d on its waiting list; we will tell you as soon as a "
            "place is free for you."
        )
        % names,
        sms=_sms(
            _(
                "%(title)s is full: you are number %(position)d on the waiting list. We will tell you when a place is free."
            )
            % names
        ),
    )


def registration_promoted(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title, "when": _when_or_weekly(facts), "place": _place(facts)}
    return Texts(
        title=_("A place is free for you: %(title)s") % names,
        body=_("You have moved up from the waiting list: your place in %(title)s is confirmed.") % names
        + "\n"
        + _details(facts),
        sms=_sms(_("Good news: you have a place in %(title)s, %(when)s, %(place)s.") % names),
    )


def registration_cancelled(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title}
    return Texts(
        title=_("Your registration is cancelled: %(title)s") % names,
        body=_(
            "Your registration for %(title)s has been cancelled. If this is a mistake, register again or ask your community's staff."
        )
        % names,
        sms=_sms(_("Your registration for %(title)s has been cancelled.") % names),
    )


def class_changed(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title, "when": _when_or_weekly(facts), "place": _place(facts)}
    return Texts(
        title=_("Your class has changed: %(title)s") % names,
        body=_("The details of %(title)s have changed. This is how it is now:") % names
        + "\n"
        + _details(facts),
        sms=_sms(_("Your class %(title)s has changed: now %(when)s, %(place)s.") % names),
    )


def class_cancelled(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title, "community": facts.community}
    return Texts(
        title=_("Class cancelled: %(title)s") % names,
        body=_(
            "We are sorry: %(title)s has been cancelled. Your other classes are not affected; "
            "%(community)s can suggest a similar class."
        )
        % names,
        sms=_sms(_("Sorry: %(title)s has been cancelled.") % names),
    )


def reminder_24h(*, facts: ClassFacts) -> Texts:
    names = {"title": facts.title, "when": _when_or_weekly(facts), "place": _place(facts)}
    return Texts(
        title=_("Reminder: %(title)s, %(when)s") % names,
        body=_("A reminder of your class.") + "\n" + _details(facts),
        sms=_sms(_("Reminder: %(title)s, %(when)s, %(place)s.") % names),
    )


def reminder_2h(*, facts: ClassFacts) -> Texts:
    names = {
        "title": facts.title,
        "time": _short(facts.starts_at) if facts.starts_at else "",
        "place": _place(facts),
    }
    return Texts(
        title=_("Starting soon: %(title)s at %(time)s") % names,
        body=_("Your class starts soon.") + "\n" + _details(facts),
        sms=_sms(_("%(title)s starts at %(time)s, %(place)s. See you there!") % names),
    )


def feedback_request(*, facts: ClassFacts, url: str) -> Texts:
    names = {"title": facts.title, "when": _when_or_weekly(facts), "url": absolute(url)}
    return Texts(
        title=_("How was %(title)s?") % names,
        body=_(
            "Thank you for coming to %(title)s on %(when)s. Give it one to five stars and a few words: "
            "it helps the teacher and your community."
        )
        % names,
        sms=_sms(_("How was %(title)s? Give it stars: %(url)s") % names),
    )


# --- The weekly digest ------------------------------------------------------------------------------------


def reason_text(line: DigestLine) -> str:
    """Why this item is in the digest, in one line."""
    names = {"interest": line.interest, "field": line.field or line.interest}
    if line.reason == "interest":
        text = _("Matches your interest: %(interest)s") % names
    elif line.reason == "attended":
        text = _("You have been to %(interest)s classes before") % names
    elif line.reason == "experience":
        text = _("You rated %(interest)s classes highly") % names
    elif line.reason == "field":
        text = _("Close to your interests in %(field)s") % names
    elif line.reason == "time":
        text = _("At a time you said you are free")
    elif line.reason == "distance":
        text = _("Within a 15-minute walk of home")
    elif line.kind == "course" and line.capacity:
        text = _("New in your street; %(taken)d of %(capacity)d places taken") % {
            "taken": line.taken,
            "capacity": line.capacity,
        }
    else:
        text = _("New in your street")
    if line.km is not None and line.reason != "popular":
        text += pgettext("digest reason", "; %(km).1f km from home") % {"km": line.km}
    return text


def digest(*, lines: Sequence[DigestLine], personalised: bool, url: str, profile_url: str) -> Texts:
    count = len(lines)
    if personalised:
        title = ngettext(
            "%(count)d new class or group for you this week",
            "%(count)d new classes and groups for you this week",
            count,
        ) % {"count": count}
    else:
        title = ngettext(
            "%(count)d new class or group in your street this week",
            "%(count)d new classes and groups in your street this week",
            count,
        ) % {"count": count}
    items = []
    for line in lines:
        if line.kind == "course":
            head = f"• {line.title} — {when(line.starts_at) if line.starts_at else ''} · {line.venue or line.community}"
        else:
            head = "• " + _("Interest group “%(name)s” (%(interest)s), %(community)s") % {
                "name": line.title,
                "interest": line.interest,
                "community": line.community,
            }
        items.append(f"{head}\n  {reason_text(line)}")
    if personalised:
        footer = _(
            "Chosen for you from your interests, free times, past classes, ratings and home. "
            "You can turn personalised suggestions off in your profile: %(url)s"
        ) % {"url": absolute(profile_url)}
    else:
        footer = _(
            "You chose not to receive personalised suggestions, so this list is the same for everyone in your "
            "street. You can change this in your profile: %(url)s"
        ) % {"url": absolute(profile_url)}
    body = "\n".join(items) + "\n\n" + footer
    first = lines[0].title if lines else ""
    sms = ngettext(
        "%(count)d new class or group near you this week: %(first)s. See %(url)s",
        "%(count)d new classes and groups near you this week, such as %(first)s. See %(url)s",
        count,
    ) % {"count": count, "first": first, "url": absolute(url)}
    return Texts(title=title, body=body, sms=_sms(sms))
