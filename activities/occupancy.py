"""Venues on one screen (场地管理一屏总览): a week's occupancy grid of every venue, read in a fixed number of queries.

`week_overview` runs four queries whatever the number of venues and bookings: the venues, their opening
hours (prefetched), the week's holding bookings of those venues, and the week's sessions that hold no room;
a fifth counts the venues when the screen is cut into pages (a district holds 600+ venues: one page shows
`PAGE_SIZE` of them). Everything else (cells, utilisation, overlaps) is computed in Python from those rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from activities.enums import SessionStatus
from activities.models import Session
from venues.enums import HOLDING_STATUSES, BookingStatus
from venues.models import Booking, OpeningHours, Venue

FIRST_HOUR = 7
LAST_HOUR = 22  # the grid's last column is 21:00–22:00
PAGE_SIZE = 25  # venues on one page of the screen: a week's grid of each is 7 × 15 cells


class CellState:
    CLOSED = "closed"
    FREE = "free"
    BOOKED = "booked"
    PENDING = "pending"
    OUTSIDE = "outside"  # booked while the venue is not open: a booking to look at
    # Two holding bookings at once (old data, or SQLite without the exclusion constraint).
    CONFLICT = "conflict"


@dataclass
class Cell:
    state: str
    booking: Booking | None = None


@dataclass
class VenueWeek:
    venue: Venue
    days: list[tuple[date, list[Cell]]]
    open_minutes: int
    booked_minutes: int
    conflicts: list[Booking] = field(default_factory=list)
    pending: list[Booking] = field(default_factory=list)

    @property
    def utilisation(self) -> int | None:
        """Booked hours within opening hours as a whole percentage of the opening hours; None if never open."""
        if not self.open_minutes:
            return None
        return round(100 * min(self.booked_minutes, self.open_minutes) / self.open_minutes)


@dataclass
class WeekOverview:
    week_start: date
    days: list[date]
    hours: list[int]
    venues: list[VenueWeek]
    unplaced_sessions: list[Session]
    page: Page | None = None  # None when every venue is on the screen

    @property
    def conflict_count(self) -> int:
        return sum(len(v.conflicts) for v in self.venues)


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def week_overview(
    *,
    venues: QuerySet[Venue],
    week_start: date,
    community_ids=None,
    page: int | str | None = None,
    per_page: int | None = None,
) -> WeekOverview:
    """The occupancy of `venues` in the week starting on Monday `week_start` (local time).

    `community_ids` narrows the sessions without a room to those communities (None: every community).
    With `per_page`, only page `page` of `venues` (in their order) is drawn; an unknown page gives the last.
    The sessions without a room are listed whole on every page: they belong to no venue.
    """
    week_start = week_start_of(week_start)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(week_start, time.min, tzinfo=tz)
    end_dt = start_dt + timedelta(days=7)
    days = [week_start + timedelta(days=i) for i in range(7)]
    hours = list(range(FIRST_HOUR, LAST_HOUR))

    venues = venues.select_related("community").prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "start"))
    )
    shown_page, venue_rows = _venues_shown(venues, page=page, per_page=per_page)
    bookings_by_venue = _holding_bookings(venue_rows, start_dt, end_dt)
    unplaced = _sessions_without_room(start_dt, end_dt, community_ids)
    weeks = [_venue_week(venue, bookings_by_venue.get(venue.pk, []), days, hours, tz) for venue in venue_rows]
    return WeekOverview(
        week_start=week_start,
        days=days,
        hours=hours,
        venues=weeks,
        unplaced_sessions=unplaced,
        page=shown_page,
    )


def _venues_shown(
    venues: QuerySet[Venue], *, page: int | str | None, per_page: int | None
) -> tuple[Page | None, list[Venue]]:
    """Every venue, or with `per_page` the page `page` of them (and that page)."""
    if not per_page:
        return None, list(venues)
    if not venues.ordered:
        venues = venues.order_by("pk")  # pages of an unordered list could repeat or skip venues
    shown_page = Paginator(venues, per_page).get_page(page)
    return shown_page, list(shown_page.object_list)


def _holding_bookings(
    venue_rows: list[Venue], start_dt: datetime, end_dt: datetime
) -> dict[int, list[Booking]]:
    """venue id → the bookings that hold it at some time in [start_dt, end_dt), by start."""
    bookings_by_venue: dict[int, list[Booking]] = defaultdict(list)
    bookings = (
        Booking.objects.filter(
            venue__in=[v.pk for v in venue_rows],
            status__in=HOLDING_STATUSES,
            starts_at__lt=end_dt,
            ends_at__gt=start_dt,
        )
        .select_related("session__course")
        .order_by("venue_id", "starts_at", "pk")
    )
    for booking in bookings:
        bookings_by_venue[booking.venue_id].append(booking)
    return bookings_by_venue


def _sessions_without_room(start_dt: datetime, end_dt: datetime, community_ids) -> list[Session]:
    """Meetings of the week, not cancelled, that hold no room: no venue, no booking, or a booking cancelled
    or declined."""
    sessions = Session.objects.filter(starts_at__gte=start_dt, starts_at__lt=end_dt).exclude(
        status=SessionStatus.CANCELLED
    )
    if community_ids is not None:
        sessions = sessions.filter(course__community__in=community_ids)
    return list(
        sessions.filter(
            Q(venue__isnull=True) | Q(booking__isnull=True) | Q(booking__status__in=[BookingStatus.CANCELLED, BookingStatus.DECLINED])
        )
        .select_related("course__community", "venue")
        .order_by("starts_at", "pk")
    )


def _venue_week(venue: Venue, bookings: list[Booking], days: list[date], hours: list[int], tz) -> VenueWeek:
    windows = _opening_windows(venue)
    open_minutes = sum(end - start for spans in windows.values() for start, end in spans)
    pieces, conflicts = _booking_pieces(bookings, days, tz)
    booked_minutes = 0
    grid = []
    for day in days:
        spans = windows.get(day.weekday(), [])
        day_pieces = pieces.get(day, [])
        # Booked time inside opening hours, overlapping bookings counted once.
        covered = _merged([(s, e) for s, e, _b in day_pieces])
        booked_minutes += sum(_overlap(s, e, ws, we) for s, e in covered for ws, we in spans)
        grid.append((day, [_hour_cell(hour, spans, day_pieces, conflicts) for hour in hours]))
    return VenueWeek(
        venue=venue,
        days=grid,
        open_minutes=open_minutes,
        booked_minutes=booked_minutes,
        conflicts=[b for b in bookings if b.pk in conflicts],
        pending=[b for b in bookings if b.status == BookingStatus.PENDING],
    )


def _opening_windows(venue: Venue) -> dict[int, list[tuple[int, int]]]:
    """weekday → the venue's opening hours that day, in minutes since midnight, overlapping ones merged."""
    windows: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for opening in venue.opening_hours.all():
        windows[opening.weekday].append((_minutes(opening.start), _minutes(opening.end)))
    return {weekday: _merged(spans) for weekday, spans in windows.items()}


def _booking_pieces(
    bookings: list[Booking], days: list[date], tz
) -> tuple[dict[date, list[tuple[int, int, Booking]]], set[int]]:
    """Each booking cut into its pieces on each day of the week, in local minutes since midnight; and the
    bookings that overlap another."""
    pieces: dict[date, list[tuple[int, int, Booking]]] = defaultdict(list)
    conflicts: set[int] = set()
    latest_end, latest = None, None
    for booking in bookings:  # ordered by start: an overlap is with the booking that ends latest so far
        if latest_end is not None and booking.starts_at < latest_end:
            conflicts.update({booking.pk, latest.pk})
        if latest_end is None or booking.ends_at > latest_end:
            latest_end, latest = booking.ends_at, booking
        start, end = booking.starts_at.astimezone(tz), booking.ends_at.astimezone(tz)
        for day in days:
            day_start = datetime.combine(day, time.min, tzinfo=tz)
            lo, hi = max(start, day_start), min(end, day_start + timedelta(days=1))
            if lo < hi:
                pieces[day].append(
                    (
                        int((lo - day_start).total_seconds() // 60),
                        int((hi - day_start).total_seconds() // 60),
                        booking,
                    )
                )
    return pieces, conflicts


def _hour_cell(
    hour: int, spans: list[tuple[int, int]], day_pieces: list[tuple[int, int, Booking]], conflicts: set[int]
) -> Cell:
    """One hour of a day: closed or free when nothing holds it; else a clash of two bookings comes first,
    then a booking outside opening hours, then a pending one; otherwise booked."""
    lo, hi = hour * 60, hour * 60 + 60
    is_open = any(_overlap(lo, hi, ws, we) for ws, we in spans)
    here = [b for s, e, b in day_pieces if _overlap(lo, hi, s, e)]
    if not here:
        return Cell(CellState.FREE if is_open else CellState.CLOSED)
    if any(b.pk in conflicts for b in here) and len(here) > 1:
        return Cell(CellState.CONFLICT, here[0])
    if not is_open:
        return Cell(CellState.OUTSIDE, here[0])
    if here[0].status == BookingStatus.PENDING:
        return Cell(CellState.PENDING, here[0])
    return Cell(CellState.BOOKED, here[0])
