"""The main solver: greedy start, then large-neighbourhood search with CP-SAT on small regions.

Why this shape: the 1.2 km walking limit makes demand local, so a class can only draw on orders near
its venue, but teachers (who travel kilometres), venue slots (shared by categories) and residents (who
order several interests) couple neighbouring areas. One CP-SAT model of a district would hold hundreds
of thousands of order-position pairs; instead the search repeatedly frees the classes of one category
at a few nearby venues (and, where one venue alone is too big, in a subset of slots) and re-solves that
region exactly, with everything outside held fixed: other categories' venue slots, teachers' busy
slots and remaining sessions, residents' busy slots. A region is accepted only when it improves the
spec's lexicographic objective, so the result is never worse than the greedy it starts from. Regions
are seeded where most unplaced orders could still meet; regions proved optimal are not solved again
until a class at one of their venues changes.

Such a region cannot hand a venue slot or a teacher from one category to another: a class of another
category holds them fixed, and moving it elsewhere gains its own category nothing. So sweeps of
*cross-category* regions (issue 20) take turns with them: every category's classes at a few nearby
venues are freed together, in the same kind of model (positions of several categories share venue
slots, teachers and residents' slots). Measured on the district's shapes at the same work budget, they
placed 1.5-2% more weight where venue slots or teachers are scarce (narrow hours 7,616.5 -> 7,728,
spread 8,733 -> 8,884.5).

Inside a region the model has a boolean per candidate class position (category, venue, slot), per
(order, position) and per (teacher, position), with the rules of the spec as constraints. It is solved
in two phases: the weight alone (small coefficients, so CP-SAT proves optimality quickly), then, with
that weight kept, walking metres and classes folded into one objective; the second phase runs in the
walking sweeps only, so that weight sweeps, which decide the spec's first criterion, cover more regions.

Both cores (issue 20): up to ``WINDOW`` regions are in flight at once, solved side by side by worker
processes forked once per solve (after the greedy start), each holding its own copy of the state, kept in
step by the changes the search applies (the classes a region closed and opened, never the whole state).
Regions in flight share no venue and keep ``_APART_KM`` apart, beyond any order's walk; each is solved
against the state as it was when it was chosen, and the proposals are applied in the order the regions
were chosen, each checked again against the state after the earlier ones: a teacher's slot or last
session, an order or a resident's slot may have been taken meanwhile, and a class that no longer fits
is dropped (the rest kept if it still improves on the region). On the district's spread shape at the
46-unit budget of one process, regions three at a time placed 8,869 against 8,885.5 one at a time (8,788
with regions in flight merely disjoint, 8,832.5 at 2.5 km, 8,781.5 at 10 km, where too few regions
qualify): what a stale view costs is small beside what the second core adds. With two processes the
default budget doubles (93 units at 60 s); measured at it: spread 9,022.5, scarce skill 7,822 (46 units,
one at a time: 8,885.5 and 7,753), in 65-80 CPU seconds each; narrow hours, the most CPU, ended its
budget 48 s into a 60 s run on a nearly quiet machine (load 1.6). Clustered demand keeps the cores the
least busy (regions in flight must be far apart, and most of its demand sits in four communities): at
load 3 its deadline came first, at 90 of its 93 units.
Two regions in flight instead of three placed about as much (spread 9,017.5, narrow hours 7,761 against
7,726) but, simulated from each region's CPU time, kept the two cores busy 67-73% of the time against
76-84%, which would have run the slowest shape past the deadline.

Determinism: every CP-SAT call has a fixed seed, a fixed worker count (one by default; with more,
the interleaved search, which CP-SAT documents as deterministic but which measured 5-10 times slower on
these models) and a *deterministic* time limit; the search stops on a work budget counted in CP-SAT's
deterministic time plus size-based estimates, not on the clock. Every choice (the next region, its time
limit, stopping) is made right after a proposal is applied, so the answer depends on the seed, the
window and the work budget, not on which process solved a region nor how fast: one process gives the
answer of two, more slowly. That is the fallback where no worker can start: inside a daemonic process
(a Celery prefork worker's pool process may not have children, e.g. the fan-out's gather re-running a
district through ``match_run``) or without ``fork``; the default budget, which counts the processes
that actually run, is then that of one. The wall-clock ``time_limit`` is a safety net: when the machine
is busy with other work it can end the search first, and then a rerun may stop at a different point.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from ortools.sat.python import cp_model

from .checker import Objective, objective
from .greedy import _teacher_flexibility, complete, greedy_state
from .index import Index
from .problem import EARTH_RADIUS_KM, Instance, Solution
from .reasons import explain
from .state import State, WorkClass

Position = tuple[int, int, int]

# Work is counted in CP-SAT's deterministic time plus these estimates of what it leaves out (building
# the model in Python, presolve and copying per call), calibrated so that one unit is about one second of
# CPU on this project's 2-core machines. Recalibrated (issue 20) on the benchmark's four shapes at 10,000
# orders with the search's clock switched to CPU time, so that other work on the machine could not end
# it: the earlier constants (2.2, 5e-5, 0.03) counted the per-call estimates about four times over, and
# the 46-unit district budget used 14-22 CPU seconds of its 60 (spread 21.6, clustered 14.2, scarce
# skill 21.9, narrow hours 20.6). Fitted on those runs and on runs at twice and four times the work,
# a unit of CP-SAT's deterministic time costs about 1.8 CPU seconds, a call about 0.01 s besides; the
# cost per variable is set high enough that the shape with the largest models (narrow hours) ends its
# budget in 40 CPU seconds (49 at 2.5e-5), well before the search's deadline at 54 s of a 60 s limit,
# since on a quiet machine the wall clock runs a little ahead of the CPU time. The budget still counts
# work, not seconds, so a seed alone decides the result. Each process solving regions has such a budget
# (two: about 93 units at 60 s, some 80 CPU seconds, see ``solve``).
_DTIME_COST = 1.8  # per unit of CP-SAT deterministic time
_BUILD_COST = 4e-5  # per variable
_CALL_COST = 0.01  # per CP-SAT call
# The share of the time limit each process's budget may use (less the set-up allowance, see ``solve``).
_BUDGET_SHARE = 0.85

# Worker processes that solve regions side by side, and how many regions are in flight at once.
PROCESSES = 2
WINDOW = 3
# Below this many orders the search runs in the caller's process.
_FORK_MIN_ORDERS = 1_000
# Regions in flight at once keep this far apart (km between their venues).
_APART_KM = 6.0
_KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0
# How regions grow once the sweeps at their size find nothing, and how far.
_GROWTH = 1.5
_GROWTH_MAX = 3.4
# A sweep that places at most this share more weight finds (almost) nothing at its regions' size.
_STALE_SHARE = 0.001


@dataclass
class SolverStats:
    """What the search did; returned in ``Solution.stats`` for benchmarks and logs."""

    greedy: Objective | None = None
    final: Objective | None = None
    regions: int = 0
    improved: int = 0
    optimal: int = 0
    conflicts: int = 0
    sweeps: int = 0
    processes: int = 1
    window: int = 1
    work: float = 0.0
    seconds: float = 0.0
    stopped_by: str = ""
    history: list[tuple[float, float]] = field(default_factory=list)


# A region's category when it frees every category at its venues (a cross-category region).
ALL = -1


@dataclass(frozen=True, slots=True)
class Region:
    """A sub-problem: category c (or ``ALL``) at some venues, in some slots (None: all)."""

    c: int
    venues: tuple[int, ...]
    slots: frozenset[int] | None


@dataclass(slots=True)
class Proposal:
    """What solving one region found: the region's classes as the solve saw them, better classes (None when
    it found none), whether it proved the region optimal, and the work it cost."""

    removed: list[WorkClass]
    new: list[WorkClass] | None
    optimal: bool
    work: float


# What applying a proposal changed in the state: the venue slots whose classes closed, the classes opened.
Change = tuple[list[tuple[int, int]], list[WorkClass]]


def _classes_at(st: State, c: int, v: int) -> list[int]:
    """The classes of category c (or every category) at venue v, in slot order."""
    out = []
    for s in sorted(st.ix.v_slots[v]):
        cid = st.venue_busy.get((v, s))
        if cid is not None and c in (ALL, st.classes[cid].c):
            out.append(cid)
    return out


def _region_classes(st: State, region: Region) -> list[int]:
    return [
        cid
        for v in region.venues
        for cid in _classes_at(st, region.c, v)
        if region.slots is None or st.classes[cid].s in region.slots
    ]


def _same(a: WorkClass, b: WorkClass) -> bool:
    return (a.c, a.v, a.s, a.t, a.orders) == (b.c, b.v, b.s, b.t, b.orders)


class RegionSolver:
    """Solves one region at a time against its own copy of the search's state (in the search's process or
    in a worker process), kept in step by replaying the changes the search applied."""

    def __init__(
        self,
        state: State,
        positions: dict[Position, list[int]],
        cv_positions: dict[tuple[int, int], list[Position]],
        *,
        seed: int,
        num_workers: int,
    ) -> None:
        self.state = State(state.ix)
        for k in state.classes.values():
            self.state.restore(k)
        self.positions = positions
        self.cv_positions = cv_positions
        self.seed = seed
        self.num_workers = max(1, num_workers)
        self._solver = cp_model.CpSolver()

    def replay(self, change: Change) -> None:
        """Make a change the search applied to its state."""
        st = self.state
        closed, opened = change
        for v, s in closed:
            st.close_class(st.venue_busy[(v, s)])
        for k in opened:
            st.restore(k)

    def solve_region(self, region: Region, budget: float, walk: bool = True) -> Proposal:
        """Re-solve one region exactly; the state is left as it was (the search applies what it keeps).

        With ``walk`` false (weight sweeps) the walking phase is skipped, even when the weight improved:
        measured on the district instance under the same load, it took about a third of the time of a
        weight sweep, and without it 1.6 times as many regions were solved in 60 s (531 against 330,
        assigned weight 8,191 against 7,865). Walking comes second in the spec's order; the walking
        sweeps shorten it once the weight sweeps find nothing more.
        """
        st = self.state
        removed = [st.close_class(cid) for cid in _region_classes(st, region)]
        try:
            return self._solve(region, removed, budget, walk)
        finally:
            for k in removed:
                st.restore(k)

    def _solve(self, region: Region, removed: list[WorkClass], budget: float, walk: bool) -> Proposal:
        st = self.state
        ix = st.ix
        before = _value(ix, removed)
        cand = candidates(st, self.positions, self.cv_positions, region)
        if not cand:
            return Proposal(removed, None, True, 0.0)

        model = build_model(st, cand)
        m, y, x, z = model.m, model.y, model.x, model.z
        all_vars, w_int = model.all_vars, model.w_int
        weight_expr, walk_expr = model.weight_expr, model.walk_expr
        n_orders = len(w_int)

        # The current classes of the region are feasible in this model: start from them.
        ones: set[int] = set()
        for k in removed:
            p = (k.c, k.v, k.s)
            ones.add(y[p].index)
            ones.add(z[p][k.t].index)
            ones.update(x[(o, p)].index for o in k.orders)
        self._hint(m, all_vars, ones)
        before_w = sum(w_int[o] for k in removed for o in k.orders)

        # Phase 1: the weight alone. Proving optimality is quick with small coefficients, whereas one
        # folded lexicographic objective spends the budget proving walking distances.
        m.maximize(weight_expr)
        status, wall_work = self._run(m, budget)
        work = wall_work + _CALL_COST + _BUILD_COST * (len(all_vars) + 2 * len(y) + n_orders)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Proposal(removed, None, False, work)
        optimal = status == cp_model.OPTIMAL
        best_w = max(before_w, round(self._solver.objective_value))
        if best_w > before_w:
            ones = {var.index for var in all_vars if self._solver.value(var)}

        # Phase 2: keep that weight, shorten walks and merge classes.
        if walk:
            m.clear_hints()
            self._hint(m, all_vars, ones)
            m.add(weight_expr >= best_w)
            m.minimize(walk_expr)
            status2, work2 = self._run(m, budget / 4)
            work += work2 + _CALL_COST
            if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                ones = {var.index for var in all_vars if self._solver.value(var)}

        new: list[WorkClass] = []
        for p, yp in y.items():
            if yp.index not in ones:
                continue
            c, v, s = p
            teacher = next(t for t, zt in z[p].items() if zt.index in ones)
            orders = {o for o in self.positions[p] if (o, p) in x and x[(o, p)].index in ones}
            new.append(WorkClass(c, v, s, teacher, orders))
        return Proposal(removed, new if _value(ix, new) > before else None, optimal, work)

    @staticmethod
    def _hint(m: cp_model.CpModel, variables: list[cp_model.IntVar], ones: set[int]) -> None:
        seen: set[int] = set()
        for var in variables:
            # A position with one candidate teacher reuses its class literal; hint it once.
            if var.index not in seen:
                m.add_hint(var, 1 if var.index in ones else 0)
                seen.add(var.index)

    def _run(self, m: cp_model.CpModel, budget: float) -> tuple[cp_model.CpSolverStatus, float]:
        """Solve with the deterministic settings; returns the status and the work done (see `_DTIME_COST`)."""
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.random_seed = self.seed
        prm.num_workers = self.num_workers
        if self.num_workers > 1:
            prm.interleave_search = True
        # Measured on district instances: the extra cuts halve the time to prove these models optimal.
        prm.linearization_level = 2
        prm.max_deterministic_time = max(0.02, budget)
        status = solver.solve(m)
        self._solver = solver
        return status, _DTIME_COST * solver.deterministic_time


def _serve(solver: RegionSolver, conn: Connection) -> None:
    """A worker process: replay the changes it is sent, solve the region, send the proposal back."""
    while True:
        task = conn.recv()
        if task is None:
            return
        changes, region, budget, walk = task
        try:
            for change in changes:
                solver.replay(change)
            conn.send(solver.solve_region(region, budget, walk))
        except Exception as exc:  # noqa: BLE001 - handed to the search, which raises it in its own process
            conn.send(exc)


class _InProcess:
    """Solves each region when it is submitted, in this process: the fallback where no worker can start."""

    processes = 1

    def __init__(self, solver: RegionSolver) -> None:
        self.solver = solver
        self.seen = 0
        self.done: dict[int, Proposal] = {}

    def submit(self, j: int, changes: list[Change | None], region: Region, budget: float, walk: bool) -> None:
        for change in changes[self.seen :]:
            if change is not None:
                self.solver.replay(change)
        self.seen = len(changes)
        self.done[j] = self.solver.solve_region(region, budget, walk)

    def result(self, j: int) -> Proposal:
        return self.done.pop(j)

    def close(self) -> None:
        pass


class _Workers:
    """Worker processes forked once per solve, each with its own copy of the state; a region goes to
    whichever is idle with the changes it has not seen yet (a few class tuples, never the whole state)."""

    def __init__(self, solver: RegionSolver, processes: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.procs = []
        try:
            for _ in range(processes):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_serve, args=(solver, theirs), daemon=True)
                proc.start()
                theirs.close()
                self.conns.append(mine)
                self.procs.append(proc)
        except BaseException:
            self.close()
            raise
        self.processes = processes
        self.seen = [0] * processes
        self.idle = deque(range(processes))
        self.queue: deque[tuple[int, list[Change | None], int, tuple[Region, float, bool]]] = deque()
        self.running: dict[int, int] = {}  # worker -> region number
        self.done: dict[int, Proposal] = {}

    def submit(self, j: int, changes: list[Change | None], region: Region, budget: float, walk: bool) -> None:
        self.queue.append((j, changes, len(changes), (region, budget, walk)))
        self._feed()

    def _feed(self) -> None:
        while self.idle and self.queue:
            w = self.idle.popleft()
            j, changes, upto, (region, budget, walk) = self.queue.popleft()
            todo = [change for change in changes[self.seen[w] : upto] if change is not None]
            self.seen[w] = upto
            self.running[w] = j
            self.conns[w].send((todo, region, budget, walk))

    def result(self, j: int) -> Proposal:
        while j not in self.done:
            for conn in wait([self.conns[w] for w in self.running]):
                w = self.conns.index(conn)
                answer = conn.recv()
                if isinstance(answer, Exception):
                    raise answer
                self.done[self.running.pop(w)] = answer
                self.idle.append(w)
            self._feed()
        return self.done.pop(j)

    def close(self) -> None:
        for conn in self.conns:
            # A worker that died already cannot be told to stop; it is joined below all the same.
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():  # pragma: no cover - a worker stuck in a solve past the search's end
                proc.terminate()
                proc.join()
        for conn in self.conns:
            conn.close()


def can_fork() -> bool:
    """Whether this process may start worker processes: not inside a daemonic process (a Celery prefork
    worker's pool process is one, and may not have children) and where ``fork`` exists."""
    return not multiprocessing.current_process().daemon and "fork" in multiprocessing.get_all_start_methods()


class RegionSearch:
    """Large-neighbourhood search: re-solve one category at a few nearby venues at a time."""

    def __init__(
        self,
        state: State,
        positions: dict[Position, list[int]],
        *,
        seed: int,
        num_workers: int,
        region_size: int,
        region_dtime: float,
        cross: bool = True,
        window: int = 1,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.state = state
        self.cross = cross
        self.ix = state.ix
        self.positions = positions
        self.rng = random.Random(seed)
        self.seed = seed
        self.num_workers = max(1, num_workers)
        self.region_size = region_size
        self.window = max(1, window)
        # Regions proved optimal (per sweep mode), with the change counters of their venues at the time.
        self.proven: dict[tuple[str, Region], tuple[int, ...]] = {}
        self.version = [0] * self.ix.n_venues
        self.region_dtime = region_dtime
        # Regions (and their time) grow by this factor once sweeps at the current size find nothing.
        self.growth = 1.0
        self.log = log
        self.stats = SolverStats()
        # What each applied proposal changed (None: nothing), in the order applied; the solvers replay it.
        self.changes: list[Change | None] = []
        ix = self.ix
        cv_positions: defaultdict[tuple[int, int], list[Position]] = defaultdict(list)
        cv_orders: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        for p, orders in positions.items():
            cv_positions[(p[0], p[1])].append(p)
            cv_orders[(p[0], p[1])].update(orders)
        self.cv_positions = {key: sorted(ps) for key, ps in cv_positions.items()}
        self.cv_orders = {key: sorted(os) for key, os in cv_orders.items()}
        cat_venues: defaultdict[int, list[int]] = defaultdict(list)
        for c, v in sorted(self.cv_positions):
            cat_venues[c].append(v)
        self.cat_venues = dict(cat_venues)
        venue_cats: defaultdict[int, list[int]] = defaultdict(list)
        for c, v in sorted(self.cv_positions):
            venue_cats[v].append(c)
        self.venue_cats = dict(venue_cats)
        venues = ix.instance.venues
        self.coords = [(venue.lat, venue.lon) for venue in venues]
        mean_lat = sum(v.lat for v in venues) / len(venues) if venues else 0.0
        self.cos_lat = math.cos(math.radians(mean_lat))

    def region_solver(self) -> RegionSolver:
        """A solver of regions with its own copy of the state as it is now."""
        return RegionSolver(
            self.state, self.positions, self.cv_positions, seed=self.seed, num_workers=self.num_workers
        )

    def _planar(self, a: int, b: int) -> float:
        """A cheap distance that orders venues by nearness as well as haversine does at district scale."""
        (la, lo), (lb, lp) = self.coords[a], self.coords[b]
        return math.hypot(la - lb, (lo - lp) * self.cos_lat)

    def _apart(self, venues: tuple[int, ...], others: list[tuple[int, ...]]) -> bool:
        """No venue in common with the regions in flight and, unless ``_APART_KM`` is 0, none nearer to
        theirs than that: regions so far apart share no order, whose walks are shorter."""
        if not others:
            return True
        mine = set(venues)
        if any(not mine.isdisjoint(vs) for vs in others):
            return False
        if _APART_KM <= 0:
            return True
        limit = _APART_KM / _KM_PER_DEGREE
        return all(self._planar(a, b) > limit for vs in others for b in vs for a in venues)

    # --- regions -------------------------------------------------------------------------------------

    def venue_potential(self) -> list[tuple[int, int]]:
        """(unplaced orders, v) for every venue where some unplaced order of any category could meet."""
        st = self.state
        out = []
        for v, cats in self.venue_cats.items():
            n = sum(1 for c in cats for o in self.cv_orders[(c, v)] if st.order_class[o] < 0)
            if n:
                out.append((n, v))
        return out

    def potential(self) -> list[tuple[int, int, int]]:
        """(unplaced orders, c, v) for every (category, venue) pair where some unplaced order could meet."""
        st = self.state
        out = []
        for (c, v), orders in self.cv_orders.items():
            n = sum(1 for o in orders if st.order_class[o] < 0)
            if n:
                out.append((n, c, v))
        return out

    def _pairs(self, c: int, v: int, slots: frozenset[int] | None) -> int:
        cats = self.venue_cats.get(v, ()) if c == ALL else (c,)
        return sum(
            len(self.positions[p])
            for k in cats
            for p in self.cv_positions.get((k, v), ())
            if slots is None or p[2] in slots
        )

    def region_from(self, c: int, seed_venue: int, target: int, vary: bool) -> Region:
        """Category c at the seed venue and its nearest venues, sized to about ``target`` order-position
        pairs. A seed venue that alone would exceed the size keeps only the slots where most unplaced
        orders could meet (varied at random when ``vary``), so a model never grows out of reach."""
        st = self.state
        cats = self.venue_cats.get(seed_venue, ()) if c == ALL else (c,)
        size_at: defaultdict[int, int] = defaultdict(int)
        demand: defaultdict[int, int] = defaultdict(int)
        for k in cats:
            for p in self.cv_positions.get((k, seed_venue), ()):
                size_at[p[2]] += len(self.positions[p])
                demand[p[2]] += sum(1 for o in self.positions[p] if st.order_class[o] < 0)
        slots: frozenset[int] | None = None
        if sum(size_at.values()) > 0.6 * target:
            noise = {s: self.rng.random() * 3 if vary else 0.0 for s in sorted(size_at)}
            chosen: list[int] = []
            pairs = 0
            for s in sorted(size_at, key=lambda s: (-demand[s] - noise[s], s)):
                chosen.append(s)
                pairs += size_at[s]
                if pairs >= 0.6 * target:
                    break
            slots = frozenset(chosen)
        venues: list[int] = []
        pairs = 0
        nearby = self.venue_cats if c == ALL else self.cat_venues[c]
        for v in sorted(nearby, key=lambda u: (self._planar(seed_venue, u), u)):
            venues.append(v)
            pairs += self._pairs(c, v, slots)
            if pairs >= target or len(venues) >= 30 * self.growth:
                break
        return Region(c, tuple(venues), slots)

    # --- applying what a region found ----------------------------------------------------------------

    def apply(self, region: Region, proposal: Proposal) -> tuple[Change | None, bool]:
        """Apply a proposal to the state if it still improves it; returns (the change, whether it conflicted).

        A proposal was solved against the state before the regions still in flight were applied (see
        ``run``): their venues are disjoint from its own, but an order, a teacher's slot or sessions, or a
        resident's slot may have been taken since. Its classes are then kept where they still fit (the
        orders that still fit, classes still at their minimum size), and the rest kept only if it still
        improves on the region's classes; a region whose classes changed meanwhile is not applied at all.
        """
        if proposal.new is None:
            return None, False
        st = self.state
        ix = self.ix
        current = _region_classes(st, region)
        if len(current) != len(proposal.removed) or not all(
            _same(st.classes[cid], k) for cid, k in zip(current, proposal.removed, strict=True)
        ):
            return None, True
        removed = [st.close_class(cid) for cid in current]
        opened: list[WorkClass] = []
        conflict = False
        for k in proposal.new:
            orders = {o for o in k.orders if st.order_fits(o, k.s)}
            if (k.v, k.s) in st.venue_busy or not st.teacher_free(k.t, k.s) or len(orders) < ix.c_min[k.c]:
                conflict = True
                continue
            conflict |= len(orders) < len(k.orders)
            kept = WorkClass(k.c, k.v, k.s, k.t, orders)
            st.restore(kept)
            opened.append(kept)
        if _value(ix, opened) > _value(ix, removed):
            return ([(k.v, k.s) for k in removed], opened), conflict
        for k in opened:
            st.close_class(st.venue_busy[(k.v, k.s)])
        for k in removed:
            st.restore(k)
        return None, True

    # --- the search ----------------------------------------------------------------------------------

    def run(self, work_budget: float, deadline: float, solvers: _InProcess | _Workers) -> None:
        """Sweep regions until the work budget or the deadline is spent, or nothing improves.

        Weight sweeps seed regions where unplaced orders could meet, most first, and cross-category
        sweeps (unless disabled) seed them at the venues where most could meet, taking turns with
        them. Once a sweep of each kind places almost no more weight (``_STALE_SHARE``), the regions
        grow (``_GROWTH``, up to ``_GROWTH_MAX`` times their first size, with as much more time each):
        measured at the two-process budget, clustered demand, whose regions all but converge within
        46 units, placed 9,017 against 9,006.5 growing only after a sweep of each kind placed nothing
        (8,970.5 at 46 units), narrow hours 7,740 against 7,726 without growing;
        once neither finds anything at the largest size (every region proved optimal), walking sweeps
        visit every category and venue with classes to shorten walks and merge classes.

        Up to ``window`` regions are in flight at once, far apart (see ``_apart``): each is
        solved against the state as it was when it was chosen, and the proposals are applied in the
        order the regions were chosen (see ``apply``). Every choice (of a region, of its time limit, of
        stopping) is made right after a proposal is applied, from the state and the work counted so
        far, so the result does not depend on which process solved a region nor on how fast: the same
        seed, window and work budget give the same answer with one process or several.
        """
        stats = self.stats
        # Cross-category sweeps first: measured on the four 10,000-order shapes at the 46-unit budget,
        # starting with them placed more weight than starting with the per-category sweeps (narrow
        # hours 7,728 against 7,687.5), whose first sweep at district scale outlasts the budget.
        mode = "cross" if self.cross else "weight"
        sweep = 0
        # Modes whose last sweep improved nothing and proved every region it solved optimal.
        settled: set[str] = set()
        # Modes whose last sweep placed (almost) no more weight, optimal or not.
        stale: set[str] = set()
        while True:
            if mode == "weight":
                seeds = [(c, v) for _, c, v in sorted(self.potential(), key=lambda e: (-e[0], e[1], e[2]))]
            elif mode == "cross":
                seeds = [(ALL, v) for _, v in sorted(self.venue_potential(), key=lambda e: (-e[0], e[1]))]
            else:
                seeds = sorted({(k.c, k.v) for k in self.state.classes.values()})
                self.rng.shuffle(seeds)
            weight_before = self.state.weight()
            improved_in_sweep, all_optimal, stopped = self._sweep(
                mode, sweep, seeds, work_budget, deadline, solvers
            )
            if stopped:
                stats.stopped_by = stopped
                return
            stats.sweeps += 1
            sweep += 1
            if self.log:
                self.log(
                    f"{mode} sweep {stats.sweeps} (regions x{self.growth:.2f}): {stats.regions} regions, "
                    f"{stats.improved} improved, {stats.optimal} optimal, "
                    f"weight {self.state.weight():.1f}, walk {self.state.walk_km():.1f} km, work {stats.work:.1f}"
                )
            if mode == "walk":
                if not improved_in_sweep and all_optimal:
                    stats.stopped_by = "converged"
                    return
                continue
            if not improved_in_sweep and all_optimal:
                settled.add(mode)
            else:
                settled.discard(mode)
            if self.state.weight() - weight_before <= _STALE_SHARE * weight_before:
                stale.add(mode)
            else:
                stale.discard(mode)
            modes = {"weight", "cross"} if self.cross else {"weight"}
            if stale >= modes and self.growth < _GROWTH_MAX:
                # Neither kind of region finds anything at this size: larger ones may (a class that
                # needs a teacher or a venue slot from beyond the region's edge), with more time each.
                self.growth = min(_GROWTH_MAX, self.growth * _GROWTH)
                settled.clear()
                stale.clear()
                mode = "cross" if self.cross else "weight"
                continue
            # Weight sweeps and cross-category sweeps take turns until neither finds anything.
            if settled >= modes:
                mode = "walk"
                self.growth = 1.0
            elif self.cross:
                mode = "cross" if mode == "weight" else "weight"

    def _sweep(
        self,
        mode: str,
        sweep: int,
        seeds: list[tuple[int, int]],
        work_budget: float,
        deadline: float,
        solvers: _InProcess | _Workers,
    ) -> tuple[bool, bool, str]:
        """One sweep over the seeds; returns (improved anything, proved every region optimal, stopped by)."""
        stats = self.stats
        pending = iter(seeds)
        covered: set[tuple[int, int]] = set()
        # Regions chosen while one of their venues was in flight, to be solved once it lands.
        deferred: list[Region] = []
        # Regions being solved, in the order chosen: (region, its venues' versions, its work reserved).
        flight: dict[int, tuple[Region, tuple[int, ...], float]] = {}
        improved_in_sweep = False
        all_optimal = True
        exhausted = False
        stopped = ""

        def choose() -> Region | None:
            busy = [region.venues for region, _, _ in flight.values()]
            for i, region in enumerate(deferred):
                if self._apart(region.venues, busy):
                    return deferred.pop(i)
            for c, seed_venue in pending:
                if (c, seed_venue) in covered:
                    continue
                scale = 1.0 if sweep == 0 else self.rng.uniform(0.6, 1.5)
                target = int(self.region_size * scale * self.growth)
                region = self.region_from(c, seed_venue, target, vary=sweep > 0)
                covered.update((c, v) for v in region.venues)
                if self._apart(region.venues, busy):
                    return region
                deferred.append(region)
            return None

        while True:
            while not stopped and not exhausted and len(flight) < self.window:
                if time.perf_counter() >= deadline:
                    stopped = "time limit"
                    break
                # Regions in flight may still use the time they were given: keep it for them.
                remaining = work_budget - stats.work - sum(reserved for _, _, reserved in flight.values())
                if remaining <= 0:
                    if not flight:
                        stopped = "work budget"
                    break
                region = choose()
                if region is None:
                    exhausted = not deferred
                    break
                version = tuple(self.version[v] for v in region.venues)
                if self.proven.get((mode, region)) == version:
                    # Proved optimal before and nothing at its venues changed since.
                    continue
                budget = min(self.region_dtime * self.growth, remaining)
                j = stats.regions
                stats.regions += 1
                flight[j] = (region, version, _DTIME_COST * budget)
                solvers.submit(j, self.changes, region, budget, mode == "walk")
            if not flight:
                return improved_in_sweep, all_optimal, stopped
            j = next(iter(flight))
            region, version, _ = flight.pop(j)
            proposal = solvers.result(j)
            change, conflict = self.apply(region, proposal)
            self.changes.append(change)
            stats.work += proposal.work
            stats.conflicts += conflict
            improved = change is not None
            optimal = proposal.optimal and not conflict
            stats.improved += improved
            stats.optimal += optimal
            improved_in_sweep |= improved
            all_optimal &= optimal
            if improved:
                for v in region.venues:
                    self.version[v] += 1
                stats.history.append((stats.work, self.state.weight()))
            elif optimal:
                self.proven[(mode, region)] = version


Candidate = tuple[Position, list[int], list[int]]


def candidates(
    st: State,
    positions: dict[Position, list[int]],
    cv_positions: dict[tuple[int, int], list[Position]],
    region: Region,
) -> list[Candidate]:
    """Positions of the region where a class could open now, with their free orders and teachers."""
    ix = st.ix
    out: list[Candidate] = []
    cats = range(len(ix.c_min)) if region.c == ALL else (region.c,)
    for v in region.venues:
        for c in cats:
            for p in cv_positions.get((c, v), ()):
                s = p[2]
                if (region.slots is not None and s not in region.slots) or (v, s) in st.venue_busy:
                    continue
                teachers = st.free_teachers(c, v, s)
                if not teachers:
                    continue
                orders = [o for o in positions[p] if st.order_fits(o, s)]
                if len({ix.o_res[o] for o in orders}) < ix.c_min[c]:
                    continue
                out.append((p, orders, teachers))
    return out


@dataclass
class RegionModel:
    """The CP-SAT model of one region and handles on its variables and objectives."""

    m: cp_model.CpModel
    y: dict[Position, cp_model.IntVar]
    x: dict[tuple[int, Position], cp_model.IntVar]
    z: dict[Position, dict[int, cp_model.IntVar]]
    all_vars: list[cp_model.IntVar]
    w_int: dict[int, int]
    weight_expr: cp_model.LinearExprT
    walk_expr: cp_model.LinearExprT


def build_model(st: State, cand: list[Candidate]) -> RegionModel:
    """Booleans y (class at a position), x (order in it), z (its teacher) and the spec's rules over them,
    given what the state outside the region already uses (teachers' sessions, residents' slots)."""
    ix = st.ix
    m = cp_model.CpModel()
    y: dict[Position, cp_model.IntVar] = {}
    x: dict[tuple[int, Position], cp_model.IntVar] = {}
    z: dict[Position, dict[int, cp_model.IntVar]] = {}
    by_order: defaultdict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_venue_slot: defaultdict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_teacher_slot: defaultdict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_teacher: defaultdict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_resident_slot: defaultdict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for p, orders, teachers in cand:
        c, v, s = p
        yp = m.new_bool_var("")
        y[p] = yp
        by_venue_slot[(v, s)].append(yp)
        xs = []
        for o in orders:
            xo = m.new_bool_var("")
            x[(o, p)] = xo
            xs.append(xo)
            m.add_implication(xo, yp)
            by_order[o].append(xo)
            by_resident_slot[(ix.o_res[o], s)].append(xo)
        size = cp_model.LinearExpr.sum(xs)
        m.add(size >= ix.c_min[c] * yp)
        m.add(size <= ix.cv_cap[c][v] * yp)
        if len(teachers) == 1:
            zs = {teachers[0]: yp}
        else:
            zs = {t: m.new_bool_var("") for t in teachers}
            m.add(sum(zs.values()) == yp)
        z[p] = zs
        for t, zt in zs.items():
            by_teacher_slot[(t, s)].append(zt)
            by_teacher[t].append(zt)
    for lits in by_order.values():
        if len(lits) > 1:
            m.add_at_most_one(lits)
    for group in (by_venue_slot, by_teacher_slot, by_resident_slot):
        for lits in group.values():
            if len(lits) > 1:
                m.add_at_most_one(lits)
    for t, lits in by_teacher.items():
        left = ix.t_max[t] - st.teacher_used[t]
        if len(lits) > left:
            m.add(sum(lits) <= left)

    all_vars = [*y.values(), *x.values(), *(zt for zs in z.values() for zt in zs.values())]
    # Weights in thousandths keep the objective integral; the float objective decides acceptance.
    w_int = {o: round(ix.o_w[o] * 1000) for o in by_order}
    # One flat weighted sum each: Python's sum() nests an expression per term, which CP-SAT then flattens.
    weight_expr = cp_model.LinearExpr.weighted_sum(list(x.values()), [w_int[o] for o, _ in x])
    # Walking in metres then classes, folded so that a metre always outweighs a class.
    k2 = len(y) + 1
    walk_expr = cp_model.LinearExpr.weighted_sum(
        [*x.values(), *y.values()], [ix.walk_m(o, p[1]) * k2 for o, p in x] + [1] * len(y)
    )
    return RegionModel(m, y, x, z, all_vars, w_int, weight_expr, walk_expr)


def _objective(state: State) -> Objective:
    """The objective of a working state, like ``checker.objective`` of its solution."""
    return Objective(
        weight=state.weight(),
        walk_km=state.walk_km(),
        classes=len(state.classes),
        assigned=sum(len(k.orders) for k in state.classes.values()),
        total_weight=sum(state.ix.o_w),
    )


def _value(ix: Index, classes: list[WorkClass]) -> tuple[float, float, int]:
    """The spec's objective of some classes as a tuple ordered like "better"."""
    weight = sum(ix.o_w[o] for k in classes for o in k.orders)
    walk = sum(ix.o_vdist[o][k.v] for k in classes for o in k.orders)
    return (round(weight, 9), -round(walk, 9), -len(classes))


def region_defaults(n_orders: int) -> tuple[int, float]:
    """Region size (order-position pairs) and deterministic time per region for an instance's size.

    Measured with a 60 s limit on the benchmark's instances: up to a few thousand orders, regions of
    800 pairs at 0.5 s converge or nearly so (1,000 orders: 902 against 884.5 with small regions). At
    district scale the search ends on its budget before it has been round the district once, and a
    region's fixed costs (building the model, CP-SAT's presolve) weigh. Measured on the 10,000-order
    shapes (issue 20, the search on a CPU-time clock, 2.5e-5 per variable), regions of 600 pairs at
    0.2 s placed more weight than 300 at 0.1 s in about the same CPU time: spread 8,793.5 in 40 s
    against 8,763.5 in 44 s, clustered 8,971.5 in 37 s against 8,809.5 in 31 s, scarce skill 7,694 in
    43 s against 7,659 in 45 s.
    """
    if n_orders <= 5_000:
        return 800, 0.5
    return 600, 0.2


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    num_workers: int = 1,
    region_size: int | None = None,
    region_dtime: float | None = None,
    work_budget: float | None = None,
    cross: bool = True,
    processes: int = PROCESSES,
    window: int | None = None,
    log: Callable[[str], None] | None = None,
) -> Solution:
    """Solve an instance; the result is feasible, explained, and never worse than the greedy.

    ``time_limit`` bounds the search in seconds (see the module docstring for how determinism is kept);
    ``seed`` and ``num_workers`` are passed to CP-SAT; ``region_size`` bounds a sub-problem (in
    order-position pairs) and ``region_dtime`` is its deterministic time limit. By default both depend
    on the instance's size (see ``region_defaults``). ``work_budget`` (units of work, see ``_DTIME_COST``)
    replaces the budget derived from ``time_limit``, e.g. to reproduce a run whatever the clock allows.
    ``cross`` false leaves out the cross-category regions (see the module docstring). ``processes`` is
    how many worker processes solve regions side by side (fewer where they cannot start, see
    ``can_fork``), ``window`` how many regions are in flight at once (by default ``WINDOW``); the
    answer depends on the window and the work budget, not on the processes, but the default budget is
    scaled by the processes that actually run.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    default_size, default_dtime = region_defaults(len(instance.orders))
    region_size = default_size if region_size is None else region_size
    region_dtime = default_dtime if region_dtime is None else region_dtime
    window = WINDOW if window is None else window
    ix = Index(instance)
    positions = ix.positions()
    state = greedy_state(instance, ix)
    greedy_classes = [WorkClass(k.c, k.v, k.s, k.t, set(k.orders)) for k in state.classes.values()]
    greedy_obj = _objective(state)

    search = RegionSearch(
        state,
        positions,
        seed=seed,
        num_workers=num_workers,
        region_size=region_size,
        region_dtime=region_dtime,
        cross=cross,
        window=window,
        log=log,
    )
    # Small instances converge in a fraction of a second: forking would cost more than it saves.
    if len(instance.orders) < _FORK_MIN_ORDERS or not can_fork():
        processes = 1
    solver = search.region_solver()
    solvers: _InProcess | _Workers = _InProcess(solver)
    if min(processes, window) > 1:
        # Where no process can start (limits), the same answer on one core.
        with contextlib.suppress(OSError):
            solvers = _Workers(solver, min(processes, window))
    # The work budget must not depend on the clock (or the result would not be reproducible): it is
    # the time limit less a size-based allowance for set-up, the final tidy-up and the explanation,
    # for each process solving regions.
    allowance = 4e-4 * (len(instance.orders) + len(positions) / 10)
    if work_budget is None:
        work_budget = max(0.0, time_limit * _BUDGET_SHARE - allowance) * solvers.processes
    try:
        search.run(work_budget, deadline - min(0.1 * time_limit, 1.0 + allowance), solvers)
    finally:
        solvers.close()
    complete(state, positions, _teacher_flexibility(ix))
    if greedy_obj.better_than(_objective(state)):  # pragma: no cover - the search only accepts improvements
        state = State(ix)
        for k in greedy_classes:
            state.restore(k)
    solution = state.to_solution(explain(state))
    final = objective(instance, solution)
    stats = search.stats
    stats.greedy = greedy_obj
    stats.final = final
    stats.processes = solvers.processes
    stats.window = window
    stats.seconds = time.perf_counter() - started
    return Solution(classes=solution.classes, unassigned=solution.unassigned, stats={"search": stats})
