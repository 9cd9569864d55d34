"""A district- or city-wide matching run spread over Celery workers (issue 18), gathered into one proposal.

`match_fanout` builds the scope's instance once, splits it into independent parts
(`activities.matching.split`: no order, teacher, venue or resident in two parts, no rule across them),
and sends a Celery chord: a group of `activities.tasks.match_parts` (each solves a batch of parts with the
pure solver; no database) whose results `activities.tasks.match_gather` joins, checks against the whole
instance and stores through `service.match_conclude`, the same path as `match_run`: one `MatchRun`, one
proposal. `match_city_fanout` does that for every district of a city, all chords at once, so the workers
take the districts' parts in parallel.

A lost worker costs only its batch: the part tasks are acknowledged late and requeued when their worker
dies (`CELERY_TASK_ACKS_LATE`, `CELERY_TASK_REJECT_ON_WORKER_LOST`), and solving a part twice gives the
same answer (a part's solution depends on the part and the seed only). The gather retries on database
errors (ops.retry); should it run twice after storing, the second finds the orders held and stores a run
without them, never a second class for the same orders. Districts of a city built at the same time may count
on the same teacher (one whose travel range crosses their border): the gather stored second meets the
database's guard (one proposed class per teacher and slot) and runs its own district again, in its task.

Same result: a part is solved as `match_run` would solve it alone, in one process (the solver's regions
side by side in worker processes give the same answer for the same work budget, but its default budget
counts the processes, and the Celery workers are the parallelism here), so the fan-out's proposal is the
in-process `solve_parts` of the same instance and seed, whatever the number of workers. Against one solve of
the whole instance it is equal when the solver reaches each part's optimum (what the tests check on small
instances); on large ones each part gets its own search budget instead of a share of one.
"""

from __future__ import annotations

import time as clock
from dataclasses import replace
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import City, District, User
from activities.matching import problem as spec
from activities.matching.split import balance, merge, split
from community_college.errors import ConflictError

from .build import _NODE_MODELS, Node, build_instance, community_ids_of
from .enums import MatchSolver
from .service import MatchOutcome, _require_communities, match_conclude, match_run, proposals_supersede
from .waitlist import waitlist_demand_prepare

# Enough tasks to keep a few workers busy; more only add messages (the parts inside one are solved in turn).
DEFAULT_TASKS = 8
# Re-runs of a district whose proposal met a neighbour's (see `fanout_gather`).
CONFLICT_TRIES = 3


def solve_parts(parts: list[dict], *, seed: int, time_limit: float) -> list[dict]:
    """Solve each part (an instance as a dict) alone; their solutions as dicts. Pure: what a part task runs."""
    from activities.matching.solver import solve  # OR-Tools is heavy; only the workers that solve load it

    out = []
    for data in parts:
        started = clock.perf_counter()
        # One process per part: the workers already solve parts side by side (and a prefork worker's
        # process may not start children); the same here and in `solve_split`, so both give one answer.
        solution = solve(spec.Instance.from_dict(data), time_limit=time_limit, seed=seed, processes=1)
        out.append({**solution.to_dict(), "seconds": clock.perf_counter() - started})
    return out


def solve_split(instance: spec.Instance, *, seed: int, time_limit: float) -> spec.Solution:
    """The fan-out's answer computed in one process: split, solve each part, merge (tests and benchmarks)."""
    parts = [p.to_dict() for p in split(instance)]
    return merge(spec.Solution.from_dict(s) for s in solve_parts(parts, seed=seed, time_limit=time_limit))


def match_fanout(
    *,
    node: Node,
    term=None,
    actor: User | None = None,
    time_limit: float = 60.0,
    seed: int = 0,
    replace_proposals: bool = False,
    tasks: int = DEFAULT_TASKS,
    today: date | None = None,
):
    """Build the instance of `node`, split it and send the chord; the chord's result (the gather's task),
    whose value is the stored `MatchRun`'s id. Scope and the waiting lists as in `match_run`."""
    _require_communities(
        actor, community_ids_of(node), _("You can only run the matching for your own community or street.")
    )
    if replace_proposals:
        proposals_supersede(node=node, actor=actor)
    waitlist_demand_prepare(community_ids=community_ids_of(node))
    built = build_instance(node=node, term=term, today=today)
    return fanout_send(built, actor=actor, time_limit=time_limit, seed=seed, tasks=tasks, today=today)


def fanout_plan(built, *, actor: User | None, time_limit: float, seed: int, tasks: int, today: date | None):
    """The part batches (instances as dicts) for the tasks, and the plan the gather needs."""
    parts = split(built.instance)
    batches = [[parts[i].to_dict() for i in batch] for batch in balance(parts, tasks)]
    plan = {
        "scope": built.scope,
        "node": built.node.pk,
        "term": built.term.pk,
        "today": today.isoformat() if today else None,
        "actor": actor.pk if actor else None,
        "seed": seed,
        "time_limit": time_limit,
        "instance": built.instance.to_dict(),
        "parts": len(parts),
        "sent_at": clock.time(),
    }
    return batches, plan


def fanout_send(built, *, actor: User | None, time_limit: float, seed: int, tasks: int, today: date | None):
    """The chord for a built instance: part tasks in a group, the gather as its body."""
    from celery import chord, group

    from activities.tasks import match_gather, match_parts

    batches, plan = fanout_plan(
        built, actor=actor, time_limit=time_limit, seed=seed, tasks=tasks, today=today
    )
    header = group(match_parts.s(batch, seed, time_limit) for batch in batches)
    if not batches:  # nothing to solve: the gather alone stores an empty run
        return match_gather.delay([], plan)
    return chord(header)(match_gather.s(plan))


def fanout_gather(*, results: list[list[dict]], plan: dict) -> MatchOutcome:
    """Join the part tasks' solutions and store them as one proposal (the chord's body)."""
    from activities.models import Term

    node = _NODE_MODELS[plan["scope"]].objects.get(pk=plan["node"])
    term = Term.objects.get(pk=plan["term"])
    today = date.fromisoformat(plan["today"]) if plan["today"] else None
    actor = User.objects.filter(pk=plan["actor"]).first() if plan["actor"] else None
    # The orders' facts as they are now (what the proposal writes back); the instance as it was solved (what
    # the solution is checked against). Orders closed meanwhile are dropped by the store, as in `match_run`.
    built = replace(
        build_instance(node=node, term=term, today=today), instance=spec.Instance.from_dict(plan["instance"])
    )
    solutions = [spec.Solution.from_dict(s) for batch in results for s in batch]
    solution = merge(solutions)
    seconds = max(0.0, clock.time() - plan["sent_at"])
    try:
        return match_conclude(
            built,
            solution,
            seconds=seconds,
            started=clock.perf_counter() - seconds,
            actor=actor,
            solver=MatchSolver.SOLVER,
            seed=plan["seed"],
            time_limit=plan["time_limit"],
        )
    except ConflictError:
        # A neighbouring district's run, built at the same moment, stored a proposal with a teacher (or a
        # room) this one also counted on: the districts of a city are independent only where no teacher's
        # travel range crosses their border. This district again, now in this task and against the proposals
        # stored meanwhile (they hold those slots): one district's retry, not the city's. Another neighbour may
        # be storing at that very moment too; a few tries, each built afresh, settle it.
        for attempt in range(CONFLICT_TRIES):
            try:
                return match_run(
                    node=node,
                    term=term,
                    actor=actor,
                    time_limit=plan["time_limit"],
                    seed=plan["seed"],
                    today=today,
                )
            except ConflictError:
                if attempt == CONFLICT_TRIES - 1:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


def match_city_fanout(
    *, city: City, actor: User | None = None, time_limit: float = 60.0, seed: int = 0, **kw
):
    """Every district of the city, each a chord of its own (one proposal per district), all sent at once.
    The districts' part tasks share the workers; the chords' results, district by district."""
    results = []
    for district in District.objects.filter(city=city).order_by("pk"):
        # All districts are built now and solved side by side; where two share a teacher within reach, the
        # gather stored second finds the teacher's slot taken and runs its district again (`fanout_gather`).
        with transaction.atomic():
            results.append(
                (district, match_fanout(node=district, actor=actor, time_limit=time_limit, seed=seed, **kw))
            )
    return results
