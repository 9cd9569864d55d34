"""Mutation testing of the rule modules: `make mutation` (not in CI: too slow for two cores).

Runs mutmut 3 (configured in pyproject.toml, [tool.mutmut]) one module at a time, then prints per module
the mutants, killed, survived and the score (killed ÷ mutants that some test reached), and the names of
the survivors so that `mutmut show NAME` can explain each one.

    .venv/bin/python bench/mutation.py                          # every module of MODULES
    .venv/bin/python bench/mutation.py activities/services.py   # one module
    .venv/bin/python bench/mutation.py activities/services.py::course-changes   # a part (PARTS below)
    .venv/bin/python bench/mutation.py --report                 # print the last results, run nothing
    .venv/bin/python bench/mutation.py --max-children 2 ...     # mutants tested side by side (default 1)

mutmut keeps its results in mutants/ and only re-tests mutants of functions that changed; delete mutants/
after changing tests to measure from scratch. Functions under a decorator (`@transaction.atomic`) are not
mutated by mutmut 3: their rules are pinned by the isolation tests instead (see tests/*/test_isolation.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Module → the mutants (fnmatch patterns of mutmut's names) to test; None means all of the module's.
MODULES: dict[str, tuple[str, ...] | None] = {
    "activities/services.py": None,
    "interests/services.py": None,
    "venues/services.py": None,
    "ratings/stars.py": None,
    "ratings/scores.py": None,
    # Orders (点单 → 接单 → 派单 → 返单) moved here from interests/services.py; order_transition is decorated
    # (atomic), so its scope rules are hand mutants below.
    "activities/orders.py": None,
    # Delivery: claiming, sending, giving back and re-sending rows (the drafting of texts is left out).
    "notices/services.py": (
        "notices.services.x_enqueue_deliveries__*",
        "notices.services.x_deliveries_*",
        "notices.services.x__give_back__*",
        "notices.services.x__send_one__*",
        "notices.services.x__record_*",
        "notices.services.x_notice_mark_read__*",
        "notices.services.x_notices_mark_all_read__*",
    ),
    # The funds ledger: postings (balanced, in cents, monthly totals kept), reversals, the chart of accounts.
    # Income, pledges, budgets, expenses and stipends call these; their own rules are left for a later run
    # (1,380 mutants in the whole module: hours on two shared cores).
    "funds/services.py": (
        "funds.services.x_money__*",
        "funds.services.x_accounts_open__*",
        "funds.services.x_posting_create__*",
        "funds.services.x__month_totals_add__*",
        "funds.services.x_month_totals_rebuild__*",
        "funds.services.x_posting_reverse__*",
    ),
}
# Parts of a module measured on their own (`bench/mutation.py activities/services.py::course-changes`): the
# name before `::` is the module (its results live in the module's meta file), the patterns pick its mutants.
PARTS: dict[str, tuple[str, ...]] = {
    # The helpers course_update / session_reschedule / session_cancel call (those three are decorated).
    "activities/services.py::course-changes": (
        "activities.services.x__lock_course_for_change__*",
        "activities.services.x__slot_times__*",
        "activities.services.x__teacher_clash__*",
        "activities.services.x__clash_error__*",
        "activities.services.x__move_session__*",
        "activities.services.x__lock_session_for_change__*",
    ),
}
# mutmut 3 leaves functions under a decorator (`@transaction.atomic`) unmutated, and several rules of issue
# 23 live there. These hand-written mutants stand in for them: (module, what the mutant breaks, the code,
# the mutated code, the tests that must kill it). A mutant whose code is no longer found is reported, not
# counted: the module changed, and the list must follow it. The tests are the files written for the rule
# (a survivor runs them all; a whole app's tests would take minutes per mutant on two shared cores).
HAND_MUTANTS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        "activities/services.py",
        "registration_cancel: any staff may cancel (scope of no community)",
        "not scope_for(actor).can_change_community(reg.course.community_id)",
        "not scope_for(actor).can_change_community(None)",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "registration_cancel: scope check inverted",
        "if actor.pk != reg.resident_id and not scope_for(actor)",
        "if actor.pk != reg.resident_id and scope_for(actor)",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "registration_cancel: a waiting resident's cancel frees a place",
        "    if not was_confirmed:\n        return None\n",
        "",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "registration_cancel: freed place not given back",
        '    Course.objects.filter(pk=reg.course_id).update(confirmed_count=F("confirmed_count") - 1)\n',
        "",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "registration_cancel: cancelling twice promotes again",
        "    if reg.status == RegistrationStatus.CANCELLED:\n        return None\n",
        "",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "session_schedule: the venue's capacity ignored",
        "min(course.capacity, venue.capacity)",
        "course.capacity",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "session_schedule: session saved without its venue",
        "Session(course=course, venue=venue,",
        "Session(course=course, venue=None,",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "session_schedule: venue not booked",
        "    if venue is not None:\n        booking_create(",
        "    if venue is None:\n        booking_create(",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_cancel: every community's staff may cancel",
        '    require_change(actor, locked.community_id, elsewhere=_("This class belongs to another community."))\n',
        "",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_cancel: meetings of every class cancelled",
        "Session.objects.filter(course=locked, starts_at__gte=now",
        "Session.objects.filter(starts_at__gte=now",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_cancel: past meetings cancelled too",
        "starts_at__gte=now, status=SessionStatus.SCHEDULED",
        "status=SessionStatus.SCHEDULED",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_cancel: every booking cancelled",
        "Booking.objects.filter(session__in=upcoming)",
        "Booking.objects.filter()",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_cancel: registrations of every class cancelled",
        "Registration.objects.filter(course=locked, status__in=ACTIVE_REGISTRATION_STATUSES)",
        "Registration.objects.filter(status__in=ACTIVE_REGISTRATION_STATUSES)",
        ("tests/activities/test_isolation.py",),
    ),
    (
        "activities/services.py",
        "course_close: waiting lists of every class released",
        "Registration.objects.select_for_update().filter(course=locked, status=RegistrationStatus.WAITLISTED)",
        "Registration.objects.select_for_update().filter(status=RegistrationStatus.WAITLISTED)",
        ("tests/activities/test_lifecycle_rows.py", "tests/activities/test_lifecycle.py"),
    ),
    (
        "activities/services.py",
        "course_close: meetings of every class called off",
        "left = Session.objects.filter(course=locked, status=SessionStatus.SCHEDULED",
        "left = Session.objects.filter(status=SessionStatus.SCHEDULED",
        ("tests/activities/test_lifecycle_rows.py", "tests/activities/test_lifecycle.py"),
    ),
    (
        "activities/services.py",
        "course_close: any staff may close",
        "    if actor is not None and not scope_for(actor).can_change_community(locked.community_id):\n",
        "    if False:\n",
        ("tests/activities/test_lifecycle_rows.py", "tests/activities/test_lifecycle.py"),
    ),
    (
        "activities/services.py",
        "session_cancel: another meeting's booking cancelled",
        "booking = Booking.objects.filter(session=locked).first()",
        "booking = Booking.objects.filter().first()",
        ("tests/activities/test_course_changes.py",),
    ),
    (
        "activities/services.py",
        "course_update: more places move no one up",
        "        while promote_from_waitlist(course_id=locked.pk) is not None:\n",
        "        while False:\n",
        ("tests/activities/test_course_changes.py",),
    ),
    (
        "activities/services.py",
        "course_update: fewer places than are taken accepted",
        "        if capacity < locked.confirmed_count:\n",
        "        if False:\n",
        ("tests/activities/test_course_changes.py",),
    ),
    (
        "activities/services.py",
        "course_update: meetings of every class moved",
        ".filter(course=locked, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())",
        ".filter(status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now())",
        ("tests/activities/test_course_changes.py",),
    ),
    (
        "activities/services.py",
        "attendance_record: a place in any class puts the resident on this roll",
        "course_id=locked.course_id, resident=resident, status=RegistrationStatus.CONFIRMED",
        "resident=resident, status=RegistrationStatus.CONFIRMED",
        ("tests/activities/test_attendance.py", "tests/activities/test_isolation.py"),
    ),
    (
        "activities/services.py",
        "attendance_record: walk-ins of every meeting take this meeting's seats",
        "Attendance.objects.filter(session=locked, walk_in=True).count()",
        "Attendance.objects.filter(walk_in=True).count()",
        ("tests/activities/test_attendance.py", "tests/activities/test_isolation.py"),
    ),
    (
        "activities/services.py",
        "attendance_record: walk-ins beyond the seats",
        "            if taken >= min(locked.capacity, locked.course.capacity):\n",
        "            if False:\n",
        ("tests/activities/test_attendance.py", "tests/activities/test_isolation.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: cancel rule inverted",
        "        and not scope_for(actor).can_change_community(locked.community_id)\n    ):",
        "        and scope_for(actor).can_change_community(locked.community_id)\n    ):",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: cancel rule with no community",
        "        and not scope_for(actor).can_change_community(locked.community_id)\n    ):",
        "        and not scope_for(actor).can_change_community(None)\n    ):",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: anyone but the resident may cancel",
        "and actor.pk != locked.resident_id",
        "and actor.pk == locked.resident_id",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: staff steps checked against no community",
        "require_change(actor, locked.community_id, elsewhere",
        "require_change(actor, None, elsewhere",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: staff steps not checked",
        "    if actor is not None and to in _STAFF_TRANSITIONS:\n",
        "    if False:\n",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: the step's stamp not saved",
        "    fields.add(_STAMPS[to])\n",
        "",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: extra changes not saved",
        "        fields.add(name)\n",
        "",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_transition: a step the loop does not allow",
        "    if to not in ORDER_TRANSITIONS[locked.status]:\n",
        "    if False:\n",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "activities/orders.py",
        "order_accept: the placement is asked for with no order id",
        "signals.order_accepted.send(sender=Order, order_id=order.pk,",
        "signals.order_accepted.send(sender=Order, order_id=None,",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "group_join: a membership of another group counts as this one",
        "GroupMembership.objects.filter(group=locked, user=user)",
        "GroupMembership.objects.filter(user=user)",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "group_join: members of every group count against the limit",
        "locked.memberships.count()",
        "GroupMembership.objects.count()",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "group_join: inactive groups accept members",
        "    if not locked.is_active:\n",
        "    if False:\n",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "profile_update: every resident's free times removed",
        "    profile.availability.all().delete()\n",
        "    ResidentAvailability.objects.all().delete()\n",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "profile_update: another resident's profile overwritten",
        "ResidentProfile.objects.filter(user=user).first()",
        "ResidentProfile.objects.first()",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "resident_register: no resident role",
        "    RoleAssignment.objects.create(user=user, role=Role.RESIDENT)\n",
        "",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "interests/services.py",
        "resident_register: the given home ignored",
        "latitude=latitude if latitude is not None else community.latitude",
        "latitude=community.latitude",
        ("tests/interests/test_isolation.py", "tests/interests/test_orders.py"),
    ),
    (
        "venues/services.py",
        "booking_create: overlap checked across every venue",
        "        venue=venue, status__in=HOLDING_STATUSES, starts_at__lt",
        "        status__in=HOLDING_STATUSES, starts_at__lt",
        ("tests/venues",),
    ),
    (
        "venues/services.py",
        "booking_create: cancelled bookings still hold the time",
        "        venue=venue, status__in=HOLDING_STATUSES, starts_at__lt",
        "        venue=venue, starts_at__lt",
        ("tests/venues",),
    ),
    (
        "venues/services.py",
        "booking_create: the owner's confirmation skipped",
        "        status=BookingStatus.PENDING if venue.requires_confirmation else BookingStatus.CONFIRMED,",
        "        status=BookingStatus.CONFIRMED,",
        ("tests/venues",),
    ),
    (
        "venues/services.py",
        "booking_move: overlap checked across every venue",
        "Booking.objects.filter(venue=venue, status__in=HOLDING_STATUSES",
        "Booking.objects.filter(status__in=HOLDING_STATUSES",
        ("tests/venues", "tests/activities/test_course_changes.py"),
    ),
    (
        "venues/services.py",
        "booking_move: the booking clashes with itself",
        "        .exclude(pk=booking.pk)\n",
        "",
        ("tests/venues", "tests/activities/test_course_changes.py"),
    ),
    (
        "venues/services.py",
        "booking_move: a new room's owner is not asked",
        "    if moved_room or booking.status in",
        "    if booking.status in",
        ("tests/venues", "tests/activities/test_course_changes.py"),
    ),
)

# mutmut's exit codes of a mutant's test run (mutmut/stats.py).
KILLED = {1, 3, 37}
SURVIVED = {0}
NOT_REACHED = {5, 33, 34}
TIMEOUT = {36, 24, -24, 152, 255}


def _mutmut() -> str:
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else (shutil.which("mutmut") or "mutmut")


def _file(module: str) -> str:
    """`activities/services.py::course-changes` → `activities/services.py`."""
    return module.split("::")[0]


def _dotted(module: str) -> str:
    return module.replace("::", ".").removesuffix(".py").replace(".py.", ".").replace("/", ".")


def _patterns(module: str) -> tuple[str, ...]:
    return PARTS.get(module) or MODULES.get(module) or (f"{_dotted(module)}.*",)


def run(module: str, max_children: int) -> int:
    dotted = _dotted(module)
    log = ROOT / "mutants" / f"run-{dotted}.log"
    log.parent.mkdir(exist_ok=True)
    print(f"mutmut: {module} (log: {log.relative_to(ROOT)})", flush=True)
    with log.open("w") as out:
        return subprocess.call(
            [_mutmut(), "run", "--max-children", str(max_children), *_patterns(module)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def summary(module: str) -> dict | None:
    meta = ROOT / "mutants" / f"{_file(module)}.meta"
    if not meta.exists():
        return None
    patterns = _patterns(module)
    codes = {
        name: code
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
        if any(fnmatch(name, p) for p in patterns)
    }
    counts = Counter({"killed": 0, "survived": 0, "no tests": 0, "not checked": 0, "suspicious": 0})
    survivors = []
    for name, code in codes.items():
        if code in KILLED or code in TIMEOUT:
            counts["killed"] += 1  # a mutant that hangs the tests is caught by the time limit
        elif code in SURVIVED:
            counts["survived"] += 1
            survivors.append(name)
        elif code in NOT_REACHED:
            counts["no tests"] += 1
            survivors.append(name)
        elif code is None:
            counts["not checked"] += 1
        else:
            counts["suspicious"] += 1
    total = len(codes)
    # The score counts the mutants some test ran: a function no selected test reaches (the PostgreSQL-only
    # registration statement, on the SQLite run) is listed apart, by function, rather than hidden in it.
    reached = counts["killed"] + counts["survived"] + counts["suspicious"]
    score = 100.0 * counts["killed"] / reached if reached else 0.0
    unreached = Counter(_function(name) for name, code in codes.items() if code in NOT_REACHED)
    return {
        "module": module,
        "mutants": total,
        **counts,
        "score": score,
        "survivors": sorted(n for n in survivors if codes[n] in SURVIVED),
        "unreached": dict(unreached),
    }


def _function(mutant: str) -> str:
    """`activities.services.x_registration_create__mutmut_3` → `registration_create`."""
    return (
        mutant.split("__mutmut_")[0].rsplit(".", 1)[-1].removeprefix("x").removeprefix("_").replace("ǁ", ".")
    )


HAND_DIR = ROOT / "mutants" / "hand"


def _hand_copy() -> None:
    """A plain copy of the project to mutate by hand (mutmut's own copy holds trampolines)."""
    if HAND_DIR.exists():
        shutil.rmtree(HAND_DIR)
    HAND_DIR.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "mutants", ".venv", "node_modules")
    for entry in ROOT.iterdir():
        if entry.name in {"mutants", ".venv", ".git", "var", "staticfiles"} or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, HAND_DIR / entry.name, ignore=ignore)
        else:
            shutil.copy2(entry, HAND_DIR / entry.name)


def run_hand(modules, only: str = "") -> list[tuple[str, str, str]]:
    """Apply each hand mutant of `modules` to the copy, run its tests, restore; (module, what, outcome)."""
    chosen = [m for m in HAND_MUTANTS if m[0] in modules and only in m[1]]
    if not chosen:
        return []
    _hand_copy()
    results = []
    for module, what, original, mutated, tests in chosen:
        path = HAND_DIR / module
        source = path.read_text()
        if source.count(original) != 1:
            results.append((module, what, "not found"))
            continue
        path.write_text(source.replace(original, mutated))
        try:
            code = subprocess.call(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "--nomigrations", *tests],
                cwd=HAND_DIR,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            path.write_text(source)
        results.append((module, what, "survived" if code == 0 else "killed"))
        print(f"  hand mutant {results[-1][2]:>8}: {module}: {what}", flush=True)
    return results


def report_hand(results) -> None:
    if not results:
        return
    print("\nhand mutants (rules inside decorated functions, which mutmut 3 does not mutate):")
    for module in dict.fromkeys(m for m, _w, _o in results):
        mine = [(w, o) for m, w, o in results if m == module]
        killed = sum(o == "killed" for _w, o in mine)
        print(f"  {module:<24}{len(mine):>4} mutants{killed:>4} killed")
        for what, outcome in mine:
            if outcome != "killed":
                print(f"    {outcome}: {what}")


def report(modules, *, diffs: bool = False) -> None:
    rows = [s for s in (summary(m) for m in modules) if s]
    print(f"\n{'module':<24}{'mutants':>9}{'killed':>8}{'survived':>10}{'no tests':>10}{'score':>8}")
    for r in rows:
        print(
            f"{r['module']:<24}{r['mutants']:>9}{r['killed']:>8}{r['survived']:>10}"
            f"{r['no tests']:>10}{r['score']:>7.1f}%"
            + (f"  ({r['not checked']} not checked)" if r["not checked"] else "")
        )
    for r in rows:
        if r["unreached"]:
            print(f"\nno selected test reaches (left out of the score) in {r['module']}:")
            for function, n in sorted(r["unreached"].items()):
                print(f"  {function}: {n} mutants")
        if r["survivors"]:
            print(f"\nsurvivors of {r['module']} (`mutmut show NAME`, or --diffs):")
            for name in r["survivors"]:
                print(f"  {name}")
                if diffs:
                    print(_diff(name))


def _diff(name: str) -> str:
    shown = subprocess.run([_mutmut(), "show", name], cwd=ROOT, capture_output=True, text=True).stdout
    changed = [line for line in shown.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return "\n".join(f"      {line.strip()}" for line in changed)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="print the last results without running mutmut")
    parser.add_argument("--hand-only", action="store_true", help="run only the hand-written mutants")
    parser.add_argument(
        "--only", default="", help="run only the hand mutants whose description has this text"
    )
    parser.add_argument("--diffs", action="store_true", help="print each survivor's changed lines")
    args = parser.parse_args()
    failed = []
    if not args.report and not args.hand_only:
        for module in args.modules:
            if run(module, args.max_children) != 0:
                failed.append(module)
    hand = [] if args.report else run_hand(args.modules, args.only)
    report(args.modules, diffs=args.diffs)
    report_hand(hand)
    if failed:
        print(f"\nmutmut failed on {', '.join(failed)}: see mutants/run-*.log")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
