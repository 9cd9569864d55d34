"""`manage.py match`: pool a scope's accepted orders into proposed classes (派单). The work is in
`activities.dispatch`; this parses, prints the summary and writes the instance for --export.

`--fanout` sends the run through the Celery fan-out instead (`activities.dispatch.fanout`: the scope's
instance split into independent parts, solved by the workers, gathered into one proposal), for a node or,
with `--scope city`, for every district of a city; it waits for the gathers and prints each run, or with
`--no-wait` prints the ids of the tasks to wait for and returns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.models import City, User
from activities.dispatch.build import resolve_node
from activities.dispatch.enums import MatchScope
from activities.dispatch.fanout import DEFAULT_TASKS, match_city_fanout, match_fanout
from activities.dispatch.service import MatchOutcome, match_run
from activities.models import MatchRun, Term
from community_college.errors import ConflictError

CITY = "city"
# What one process does and a fan-out cannot: the greedy baseline, an unstored dry run, the instance file
# (the parts are built and sent in one step), the near-miss list (the gather stores them with the run).
NOT_WITH_FANOUT = ("greedy", "dry_run", "export", "near_misses", "no_json")


class Command(BaseCommand):
    help = (
        "Build the matching instance of a community, a street or the district from the database (its ACCEPTED "
        "orders; teachers' free times net of their sessions and weekly load; venues' opening hours net of their "
        "bookings), solve it and store the proposal for staff to review and confirm in the admin. Running "
        "again is safe: orders already in a proposed class are left out and confirmed classes are kept; "
        "--replace discards the scope's still-proposed classes first. The same data and seed give the same "
        "proposal."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scope",
            choices=[*MatchScope.values, CITY],
            required=True,
            help="The level to pool orders over; city (with --fanout only): every district of the city.",
        )
        parser.add_argument(
            "--node",
            help="Id or code of the community, street or district (optional when there is only one).",
        )
        parser.add_argument(
            "--term", help="Id or name of the term (default: the term under way, else the next)."
        )
        parser.add_argument(
            "--time-limit", type=float, default=60.0, help="Seconds for the solver (default 60)."
        )
        parser.add_argument(
            "--greedy", action="store_true", help="Use the greedy baseline instead of the solver."
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Solver seed; the same seed gives the same proposal."
        )
        parser.add_argument(
            "--export", metavar="FILE", help="Also write the instance JSON (the spec's format) here."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Discard the scope's still-proposed classes before running.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Solve and print, but store nothing.")
        parser.add_argument(
            "--user",
            help="Run as this staff member (mobile number or e-mail); their scope is checked. Default: system.",
        )
        parser.add_argument(
            "--no-json", action="store_true", help="Do not keep the instance and solution JSON on the run."
        )
        parser.add_argument(
            "--near-misses",
            action="store_true",
            help="List each near miss (the groups one relaxation would open); their counts are always printed.",
        )
        parser.add_argument(
            "--fanout",
            action="store_true",
            help="Split the run into independent parts solved by Celery workers, gathered into one proposal "
            "(a district's, or each district's of a city).",
        )
        parser.add_argument(
            "--tasks",
            type=int,
            default=DEFAULT_TASKS,
            help=f"With --fanout: how many part tasks to send (default {DEFAULT_TASKS}).",
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="With --fanout: print the ids of the gather tasks and return without waiting.",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=3600.0,
            help="With --fanout: seconds to wait for each gather before giving up (default 3600).",
        )

    def handle(
        self,
        *args,
        scope,
        node,
        term,
        time_limit,
        greedy,
        seed,
        export,
        replace,
        dry_run,
        user,
        no_json,
        near_misses=False,
        fanout=False,
        tasks=DEFAULT_TASKS,
        no_wait=False,
        wait=3600.0,
        **options,
    ):
        if time_limit <= 0:
            raise CommandError("--time-limit must be positive.")
        if fanout or scope == CITY:
            given = {
                "greedy": greedy,
                "dry_run": dry_run,
                "export": export,
                "near_misses": near_misses,
                "no_json": no_json,
            }
            self._fanout(
                scope=scope,
                node=node,
                term=term,
                user=user,
                time_limit=time_limit,
                seed=seed,
                replace=replace,
                fanout=fanout,
                tasks=tasks,
                no_wait=no_wait,
                wait=wait,
                refused=[name for name in NOT_WITH_FANOUT if given[name]],
                verbosity=options["verbosity"],
            )
            return
        if no_wait:
            raise CommandError("--no-wait goes with --fanout.")
        try:
            target = resolve_node(scope, node)
            actor = self._user(user)
            chosen_term = self._term(term)
            outcome = match_run(
                node=target,
                term=chosen_term,
                actor=actor,
                time_limit=time_limit,
                greedy=greedy,
                seed=seed,
                replace=replace,
                dry_run=dry_run,
                keep_json=not no_json,
                on_instance=(
                    lambda inst: Path(export).write_text(inst.to_json(indent=2) + "\n", encoding="utf-8")
                )
                if export
                else None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self._summary(outcome, greedy=greedy, export=export, verbosity=options["verbosity"])
        if near_misses and options["verbosity"] and outcome.near_misses is not None:
            for n in outcome.near_misses.near_misses:
                where = (
                    f"group {n.group}"
                    if n.group is not None
                    else f"venue {n.venue} {n.slot} teacher {n.teacher}"
                )
                self.stdout.write(f"  {n.relaxation:<7} category {n.category} at {where}: {n.describe()}")

    def _fanout(
        self,
        *,
        scope,
        node,
        term,
        user,
        time_limit,
        seed,
        replace,
        fanout,
        tasks,
        no_wait,
        wait,
        refused,
        verbosity,
    ) -> None:
        if not fanout:
            raise CommandError("--scope city goes with --fanout.")
        if refused:
            options = ", ".join("--" + name.replace("_", "-") for name in refused)
            raise CommandError(f"{options} cannot go with --fanout.")
        if tasks < 1:
            raise CommandError("--tasks must be at least 1.")
        options = {
            "actor": self._user(user),
            "time_limit": time_limit,
            "seed": seed,
            "replace_proposals": replace,
            "tasks": tasks,
        }
        try:
            chosen_term = self._term(term)
            if scope == CITY:
                sent = match_city_fanout(city=self._city(node), term=chosen_term, **options)
            else:
                target = resolve_node(scope, node)
                sent = [(target, match_fanout(node=target, term=chosen_term, **options))]
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if no_wait:
            for target, result in sent:
                self.stdout.write(f"{target}: gather task {result.id}")
            return
        for target, result in sent:
            try:
                run_id = result.get(timeout=wait)
            except ConflictError as exc:
                raise CommandError(f"{target}: " + " ".join(exc.messages)) from exc
            run = MatchRun.objects.get(pk=run_id)
            if verbosity:
                self.stdout.write(
                    f"Run #{run.pk} · {target} · {run.orders_assigned} of {run.orders_total} orders in "
                    f"{run.classes} classes · {run.teachers} teachers, {run.venues} venues · "
                    f"{run.seconds:.2f} s"
                )
        if verbosity:
            self.stdout.write(self.style.SUCCESS("Proposals stored: review and confirm them in the admin."))

    @staticmethod
    def _city(ref: str | None) -> City:
        cities = City.objects.order_by("pk")
        if ref:
            city = cities.filter(code=ref).first() or (
                cities.filter(pk=int(ref)).first() if ref.isdigit() else None
            )
            if city is None:
                raise CommandError(f"No city has the id or code {ref!r}.")
            return city
        found = list(cities[:2])
        if len(found) != 1:
            raise CommandError("Name the city to match by its id or code.")
        return found[0]

    @staticmethod
    def _user(ref: str | None) -> User | None:
        if not ref:
            return None
        try:
            return User.objects.get_by_natural_key(ref)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user signs in as {ref!r}.") from exc

    @staticmethod
    def _term(ref: str | None) -> Term | None:
        if not ref:
            return None
        term = Term.objects.filter(name=ref).first()
        if term is None and ref.isdigit():
            term = Term.objects.filter(pk=int(ref)).first()
        if term is None:
            raise CommandError(f"No term has the id or name {ref!r}.")
        return term

    def _summary(self, outcome: MatchOutcome, *, greedy: bool, export: str | None, verbosity: int) -> None:
        if not verbosity:
            return
        built, obj, run = outcome.built, outcome.objective, outcome.run
        inst = built.instance
        head = f"Run #{run.pk}" if run else "Dry run"
        self.stdout.write(
            f"{head} · {built.scope} {built.node} · term {built.term} ({built.first_day} – {built.last_day})"
        )
        self.stdout.write(
            f"Instance: {len(inst.orders)} orders to place ({len(built.no_slot)} more fit no weekly slot, "
            f"{len(built.unlocated)} have no location, {built.held} already in a proposed class), "
            f"{len(inst.teachers)} teachers, {len(inst.venues)} venues, {len(inst.slots)} slots"
        )
        if outcome.waitlist_orders:
            self.stdout.write(
                f"Waiting lists: {outcome.waitlist_orders} orders made for residents waiting for a full class"
            )
        if export:
            self.stdout.write(f"Instance written to {export}")
        vs_greedy = f"; greedy {outcome.greedy_weight:.2f}" if outcome.greedy_weight is not None else ""
        self.stdout.write(
            f"{'Greedy' if greedy else 'Solver'}: {obj.summary()}, {outcome.seconds:.2f} s{vs_greedy}"
        )
        reasons = Counter(u.reason for u in outcome.solution.unassigned)
        reasons.update({"no_common_slot": len(built.no_slot)} if built.no_slot else {})
        why = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items())) or "none"
        self.stdout.write(f"Unassigned: {why}")
        near = outcome.near_misses
        if near is not None:
            counts = ", ".join(f"{r} {n}" for r, n in near.by_relaxation().items())
            cut = "" if near.complete else ", cut short by the time limit"
            self.stdout.write(f"Near misses: {counts} ({near.seconds:.2f} s{cut})")
        if run is not None:
            if run.orders_assigned != obj.assigned:
                self.stdout.write(
                    f"Stored: {run.orders_assigned} orders in {run.classes} classes (orders closed meanwhile)"
                )
            url = reverse("admin:activities_matchrun_change", args=[run.pk])
            if run.classes:
                self.stdout.write(self.style.SUCCESS(f"Proposal stored: review and confirm it at {url}"))
            else:
                self.stdout.write(
                    self.style.WARNING(f"No class could be formed; the reasons are stored at {url}")
                )
