"""Proven upper bounds on the assigned weight, to say how far a solution can be from the optimum.

Two relaxations are computed and the smaller value is reported; each is valid on its own.

**Lagrangian bound** (``lagrangian_bound``). Take every position p = (category c, venue v, slot s)
where a class could meet (``Index.positions``: any class of any feasible solution sits at one of them,
with orders from its list and a teacher from ``cv_teachers`` free in s). Keep, per position, the rules
that concern one class alone: open or not, one eligible teacher, between ``min_size`` and
min(``max_size``, capacity) compatible orders. Move the rules that couple classes into the objective
with prices that are never negative: each order in at most one class (price lambda_o), each venue
slot at most one class (mu_vs), each teacher at most one class per slot (pi_ts) and at most
``max_sessions`` classes (sigma_t), and rule 8, a resident's orders in distinct slots (rho_rs, only
where two of the resident's orders could meet in slot s). For any feasible solution, each price
multiplies a non-negative slack, so its weight is at most

    L = sum lambda + sum mu + sum pi + sum sigma * max_sessions + sum rho
        + sum over positions of max(0, best class at p with weights w_o - lambda_o - rho_{r(o),s}
                                       - mu_vs - min over eligible teachers of (pi_ts + sigma_t))

and the per-position maximum is exact (sort the orders by reduced weight; try every size between the
minimum and the cap). This is weak duality and holds for *any* non-negative prices, so the prices can
come from a heuristic: a deflected, projected subgradient method with Polyak steps, run in numpy (the
linear relaxation solved by PDLP, OR-Tools' first-order LP solver, gave no better prices for the time:
on the district, 9,476 after 120 CPU seconds where the subgradient reaches 9,480 in 33). Every evaluated
L is a valid bound; at the best prices found, L is recomputed with exactly rounded long sums plus a
margin far above the floating-point rounding left, and that value is reported.

**Component bound** (``component_bound``). Within one category, orders and venues split into
connected components of walking reach (an order can only meet at venues within ``max_walk_km``). Each
component is solved on its own with every teacher session and every venue slot at its disposal,
ignoring what other categories and other components use. Any solution, restricted to one component,
is feasible there, so the sum of the components' optima (or of CP-SAT's proven bounds where the time
runs out) bounds the whole. It is tight on small instances and cannot finish at district scale, where
the Lagrangian bound, which also sees teachers and venue slots shared between categories, is tighter.

**Cluster bound** (``priced_cluster_bound``). The Lagrangian bound equals the linear relaxation (each
position's rules alone have integral extreme points), which lets a class open fractionally and so
misses what the minimum sizes cost. At the best prices found, the cluster bound keeps the prices on
venue slots and teachers but solves the orders' side as integer programs: each category's positions
are cut into clusters of nearby venues, orders within one cluster keep their weight and the rule that
they join one class, orders reaching several clusters keep their price (see the function). Each
cluster counts at the smaller of CP-SAT's proven bound and its share of L, so the cluster bound is
never above L at the same prices. The clusters are solved on two threads; while every cluster proves
with time left, the categories are cut again into clusters three times bigger (fewer orders on their
boundaries), and each category counts at the smallest total any of its partitions proved.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
from ortools.sat.python import cp_model

from .index import Index
from .problem import Instance
from .solver import Position, Region, build_model, candidates
from .state import State


@dataclass(frozen=True, slots=True)
class Bound:
    """The bound and how it was reached: ``weight`` is the smaller of the two relaxations' values."""

    weight: float
    components: int
    proved_optimal: int
    seconds: float
    lagrangian: float = float("inf")
    by_components: float = float("inf")
    iterations: int = 0
    by_clusters: float = float("inf")
    clusters: int = 0
    clusters_proved: int = 0


# --- the Lagrangian bound ------------------------------------------------------------------------------


class Lagrangian:
    """The Lagrangian relaxation of an instance in flat numpy arrays (see the module docstring)."""

    def __init__(self, ix: Index, positions: dict[Position, list[int]]) -> None:
        ns = ix.n_slots
        pair_pos: list[int] = []
        pair_o: list[int] = []
        tp_pos: list[int] = []
        tp_t: list[int] = []
        tp_ts: list[int] = []
        kept: list[Position] = []
        for p in sorted(positions):
            c, v, s = p
            teachers = [t for t in ix.cv_teachers.get((c, v), ()) if s in ix.t_slots[t] and ix.t_max[t] > 0]
            if not teachers or len(positions[p]) < ix.c_min[c]:
                continue  # no class can ever open here
            i = len(kept)
            kept.append(p)
            pair_pos.extend([i] * len(positions[p]))
            pair_o.extend(positions[p])
            tp_pos.extend([i] * len(teachers))
            tp_t.extend(teachers)
            tp_ts.extend(t * ns + s for t in teachers)
        n = len(kept)
        self.n_positions = n
        self.kept = kept
        self.pair_pos = np.array(pair_pos, dtype=np.int64)
        self.pair_o = np.array(pair_o, dtype=np.int64)
        self.tp_pos = np.array(tp_pos, dtype=np.int64)
        self.tp_t = np.array(tp_t, dtype=np.int64)
        self.tp_ts = np.array(tp_ts, dtype=np.int64)
        self.w = np.array(ix.o_w, dtype=np.float64)
        self.p_vs = np.array([v * ns + s for _, v, s in kept], dtype=np.int64)
        self.p_min = np.array([ix.c_min[c] for c, _, _ in kept], dtype=np.int64)
        self.p_cap = np.array([ix.cv_cap[c][v] for c, v, _ in kept], dtype=np.int64)
        self.pair_pos_f = self.pair_pos.astype(np.float64)
        self._perm = np.arange(len(pair_o))
        self.pstart = np.searchsorted(self.pair_pos, np.arange(n))
        self.tstart = np.searchsorted(self.tp_pos, np.arange(n))
        # Pairs stay grouped by position when sorted within positions, so these do not change: the
        # first pair of each pair's position, the class size a prefix ending at the pair gives, and
        # whether that size is allowed there.
        self.pair_first = self.pstart[self.pair_pos]
        self.pair_size = np.arange(len(pair_o)) - self.pair_first + 1
        self.pair_valid = (self.pair_size >= self.p_min[self.pair_pos]) & (
            self.pair_size <= self.p_cap[self.pair_pos]
        )
        self.pair_w = self.w[self.pair_o]
        # Rule 8 (a resident's orders in distinct slots) is priced too, per (resident, slot), but only
        # where two or more of the resident's orders could meet in that slot: elsewhere the orders' own
        # rule already implies it, and a price there could only be wasted.
        pair_s = np.array([p[2] for p in kept], dtype=np.int64)[self.pair_pos] if n else np.zeros(0, np.int64)
        pair_rs = np.array(ix.o_res, dtype=np.int64)[self.pair_o] * ns + pair_s
        n_rs = ix.n_residents * ns
        rs_o = np.unique(pair_rs * ix.n_orders + self.pair_o) // ix.n_orders if len(pair_o) else pair_rs
        priced = np.flatnonzero(np.bincount(rs_o, minlength=n_rs) >= 2)
        # Numbered among the priced (resident, slot) pairs only (a few thousand of a quarter of a million
        # at district scale), with one last entry, never priced, for all the others.
        number = np.full(n_rs, len(priced), dtype=np.int64)
        number[priced] = np.arange(len(priced))
        self.pair_rs = number[pair_rs]
        self.rs_used = np.arange(len(priced) + 1) < len(priced)
        # Which prices exist: only constraints that some position touches.
        self.o_used = np.zeros(ix.n_orders, dtype=bool)
        self.o_used[self.pair_o] = True
        self.vs_used = np.zeros(ix.n_venues * ns, dtype=bool)
        self.vs_used[self.p_vs] = True
        self.ts_used = np.zeros(ix.n_teachers * ns, dtype=bool)
        self.ts_used[self.tp_ts] = True
        self.t_used = np.zeros(ix.n_teachers, dtype=bool)
        self.t_used[self.tp_t] = True
        self.t_cap = np.where(self.t_used, np.array(ix.t_max, dtype=np.float64), 0.0)
        # The trivial bound: every order that could meet somewhere is placed.
        self.trivial = float(self.w[self.o_used].sum())
        # The prices at which L is the trivial bound; ``minimise`` replaces them with the best it finds.
        self.best_prices: tuple[np.ndarray, ...] = self.trivial_prices()

    def trivial_prices(self) -> tuple[np.ndarray, ...]:
        """lambda = w and every other price zero: L is then the trivial bound."""
        return (
            np.where(self.o_used, self.w, 0.0),
            np.zeros(len(self.vs_used)),
            np.zeros(len(self.ts_used)),
            np.zeros(len(self.t_used)),
            np.zeros(len(self.rs_used)),
        )

    def evaluate(self, prices: tuple[np.ndarray, ...]) -> tuple[float, tuple[np.ndarray, ...]]:
        """L at the given non-negative prices (lambda, mu, pi, sigma, rho) and a subgradient of L there."""
        lam, mu, pi, sig, _ = _five(prices, len(self.rs_used))
        rho = _rho(self, prices)
        reduced = self.pair_w - lam[self.pair_o] - rho[self.pair_rs]
        # By position, then reduced weight descending, as one float key (five times faster than lexsort at
        # district scale, where the sort was most of an iteration): a power of two above twice the largest
        # |reduced| keeps positions apart by a margin far above rounding; ties may fall in either order,
        # which changes no prefix sum.
        span = float(np.abs(reduced).max()) if len(reduced) else 0.0
        scale = 2.0 ** math.ceil(math.log2(2.0 * span + 4.0))
        # Sorted from the previous iteration's order: the prices move little between iterations, so the
        # keys come nearly sorted, which the stable sort (timsort) runs through several times faster.
        key = self.pair_pos_f * scale - reduced
        order = self._perm[np.argsort(key[self._perm], kind="stable")]
        self._perm = order
        pos = self.pair_pos  # the sort keeps positions in place
        cs = np.cumsum(reduced[order])
        prefix = cs - np.concatenate(([0.0], cs))[self.pair_first]
        size, valid = self.pair_size, self.pair_valid
        cand = np.where(valid, prefix, -np.inf)
        best = np.maximum.reduceat(cand, self.pstart)
        tcost = pi[self.tp_ts] + sig[self.tp_t]
        tmin = np.minimum.reduceat(tcost, self.tstart)
        gain = best - mu[self.p_vs] - tmin
        opened = gain > 0
        value = float(
            lam[self.o_used].sum()
            + mu[self.vs_used].sum()
            + pi[self.ts_used].sum()
            + (sig * self.t_cap).sum()
            + rho[self.rs_used].sum()
            + gain[opened].sum()
        )
        # The maximising choice per position gives the subgradient: 1 - (times each constraint is used).
        hit = valid & (cand == best[pos])
        best_size = np.minimum.reduceat(np.where(hit, size, 1 << 30), self.pstart)
        chosen = opened[pos] & (size <= best_size[pos])
        g_lam = self.o_used - np.bincount(self.pair_o[order][chosen], minlength=len(lam))
        g_mu = self.vs_used - np.bincount(self.p_vs[opened], minlength=len(mu))
        first = np.minimum.reduceat(
            np.where(tcost == tmin[self.tp_pos], np.arange(len(tcost)), 1 << 40), self.tstart
        )[opened]
        g_pi = self.ts_used - np.bincount(self.tp_ts[first], minlength=len(pi))
        g_sig = self.t_cap - np.bincount(self.tp_t[first], minlength=len(sig))
        g_rho = np.where(
            self.rs_used, 1.0 - np.bincount(self.pair_rs[order][chosen], minlength=len(rho)), 0.0
        )
        return value, (
            g_lam.astype(np.float64),
            g_mu.astype(np.float64),
            g_pi.astype(np.float64),
            g_sig,
            g_rho,
        )

    def minimise(
        self,
        target: float,
        *,
        seconds: float,
        max_iterations: int = 5000,
        theta: float = 1.0,
        patience: int = 60,
        start: tuple[np.ndarray, ...] | None = None,
    ) -> tuple[float, int]:
        """Lower L by a deflected subgradient method with Polyak steps towards ``target`` (a weight some
        solution reaches); returns the smallest L seen, which is a valid bound, and the iterations.

        The prices start at ``start`` when given, else at lambda = w (L is then the trivial bound); the
        best prices seen are kept in ``best_prices``. The step factor ``theta`` halves after ``patience``
        iterations without a new best among the iterates after the start; the search ends when it is
        tiny, when L meets the target (then the target is optimal), or on the limits. The value returned
        is recomputed by ``careful_value`` at the best prices.
        """
        if self.n_positions == 0:
            return 0.0, 0
        started = time.perf_counter()
        prices = _five(start, len(self.rs_used)) if start is not None else self.trivial_prices()
        self.best_prices = prices
        best = self.trivial
        best_prices = prices
        # The step factor answers to the best value of the iterates after the start: measured on the
        # district with demand clustered in four communities, the first steps from lambda = w climb above
        # the trivial bound and take a few hundred iterations to come back, and judged against the
        # start the factor had dwindled to nothing by then (300 iterations, L stuck at the trivial bound).
        walk_best = math.inf
        stale = 0
        previous: tuple[np.ndarray, ...] | None = None
        iterations = 0
        while iterations < max_iterations and theta > 1e-3:
            value, grad = self.evaluate(prices)
            iterations += 1
            if value < best - 1e-9:
                best, best_prices = value, prices
            if iterations > 1:
                if value < walk_best - 1e-9:
                    walk_best, stale = value, 0
                else:
                    stale += 1
                    if stale >= patience:
                        theta, stale = theta / 2, 0
            if not any(g.any() for g in grad):
                break  # a zero subgradient: these prices minimise L
            if previous is not None:
                grad = tuple(g + 0.5 * h for g, h in zip(grad, previous, strict=True))
            # A price at zero that the step would push below zero stays there: its part of the direction
            # moves nothing, and counted in the norm it only shortens the others' step. Measured on the
            # district (33 CPU seconds each), leaving those parts out took L from 9,552 to 9,480 on
            # ``spread`` and from the trivial 9,452 to 9,378 on ``clustered``; at the trivial prices
            # every teacher's sigma has such a part, t_cap squared, which dwarfed the orders' ones.
            grad = tuple(np.where((x <= 0) & (g > 0), 0.0, g) for x, g in zip(prices, grad, strict=True))
            previous = grad
            norm = sum(float((g * g).sum()) for g in grad)
            if norm == 0 or value <= target or time.perf_counter() - started >= seconds:
                break
            step = theta * (value - target) / norm
            prices = tuple(np.maximum(0.0, x - step * g) for x, g in zip(prices, grad, strict=True))
        self.best_prices = best_prices
        if best >= self.trivial:
            return self.trivial, iterations
        # numpy's running sums may round; the reported value is re-computed with exactly rounded sums.
        return min(self.trivial, self.careful_value(best_prices)), iterations

    def careful_value(self, prices: tuple[np.ndarray, ...]) -> float:
        """L at the prices, in Python floats with ``math.fsum`` for the long sums and a margin far above
        the rounding left (a class's running sum has at most a few dozen terms)."""
        if any(bool((x < 0).any()) for x in prices):
            raise ValueError("Lagrangian prices must not be negative")
        lam, mu, pi, sig, _ = (x.tolist() for x in _five(prices, len(self.rs_used)))
        rho = _rho(self, prices).tolist()
        pair_o = self.pair_o.tolist()
        pair_rs = self.pair_rs.tolist()
        tp_ts = self.tp_ts.tolist()
        tp_t = self.tp_t.tolist()
        w = self.w.tolist()
        p_vs, p_min, p_cap = self.p_vs.tolist(), self.p_min.tolist(), self.p_cap.tolist()
        ends = [*self.pstart.tolist()[1:], len(pair_o)]
        tends = [*self.tstart.tolist()[1:], len(tp_t)]
        terms: list[float] = []
        slack = 0.0  # what the per-position running sums could be off by is a tiny fraction of this
        ps, ts = 0, 0
        for i in range(self.n_positions):
            reduced = sorted(
                (w[pair_o[j]] - lam[pair_o[j]] - rho[pair_rs[j]] for j in range(ps, ends[i])), reverse=True
            )
            slack += math.fsum(abs(r) for r in reduced)
            sums = list(accumulate(reduced))
            best = max(sums[p_min[i] - 1 : p_cap[i]])
            cheapest = min(pi[tp_ts[j]] + sig[tp_t[j]] for j in range(ts, tends[i]))
            gain = best - mu[p_vs[i]] - cheapest
            if gain > 0:
                terms.append(gain)
            ps, ts = ends[i], tends[i]
        terms.extend(x for x, used in zip(lam, self.o_used.tolist(), strict=True) if used)
        terms.extend(x for x, used in zip(mu, self.vs_used.tolist(), strict=True) if used)
        terms.extend(x for x, used in zip(pi, self.ts_used.tolist(), strict=True) if used)
        terms.extend(x * cap for x, cap in zip(sig, self.t_cap.tolist(), strict=True))
        terms.extend(x for x, used in zip(rho, self.rs_used.tolist(), strict=True) if used)
        return math.fsum(terms) + 1e-9 * (math.fsum(abs(x) for x in terms) + slack) + 1e-6


def _five(prices: tuple[np.ndarray, ...], n_rs: int) -> tuple[np.ndarray, ...]:
    """The prices with rho (zero when left out: four prices are the relaxation without rule 8)."""
    if len(prices) == 4:
        return (*prices, np.zeros(n_rs))
    return tuple(prices)


def _rho(lag: Lagrangian, prices: tuple[np.ndarray, ...]) -> np.ndarray:
    """The resident-slot prices, zero where rule 8 is not priced (see ``Lagrangian.rs_used``)."""
    return np.where(lag.rs_used, _five(prices, len(lag.rs_used))[4], 0.0)


def lagrangian_bound(
    instance: Instance, *, time_limit: float = 30.0, target: float = 0.0, index: Index | None = None
) -> tuple[float, int]:
    """The Lagrangian bound of an instance and the subgradient iterations spent on it."""
    ix = index or Index(instance)
    lag = Lagrangian(ix, ix.positions())
    return lag.minimise(target, seconds=time_limit)


# --- the component bound -------------------------------------------------------------------------------
def _components(ix: Index, positions: dict[Position, list[int]]) -> list[tuple[int, list[int], list[int]]]:
    """(category, venues, orders) of each component of the order-venue reach graph, per category."""
    parent: dict[tuple[int, str, int], tuple[int, str, int]] = {}

    def find(a: tuple[int, str, int]) -> tuple[int, str, int]:
        root = a
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    for (c, v, _), orders in sorted(positions.items()):
        rv = find((c, "v", v))
        for o in orders:
            ro = find((c, "o", o))
            if ro != rv:
                parent[ro] = rv
                rv = find(rv)
    groups: defaultdict[tuple[int, str, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for node in sorted(parent):
        venues, orders = groups[find(node)]
        (venues if node[1] == "v" else orders).append(node[2])
    return sorted(
        ((root[0], vs, os) for root, (vs, os) in groups.items() if os), key=lambda g: (-len(g[2]), g[0])
    )


def component_bound(
    ix: Index, positions: dict[Position, list[int]], *, time_limit: float
) -> tuple[float, int, int]:
    """The component bound: (weight, components, components proved optimal)."""
    started = time.perf_counter()
    cv_positions: defaultdict[tuple[int, int], list[Position]] = defaultdict(list)
    for p in sorted(positions):
        cv_positions[(p[0], p[1])].append(p)
    empty = State(ix)
    comps = _components(ix, positions)
    total_pairs = sum(len(orders) for orders in positions.values()) or 1
    bound = 0.0
    optimal = 0
    for c, venues, orders in comps:
        trivial = sum(ix.o_w[o] for o in orders)
        left = time_limit - (time.perf_counter() - started)
        cand = candidates(empty, positions, cv_positions, Region(c, tuple(venues), None))
        if left <= 0 or not cand:
            bound += trivial if cand else 0.0
            optimal += not cand
            continue
        model = build_model(empty, cand)
        model.m.maximize(model.weight_expr)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.linearization_level = 2
        pairs = sum(len(os) for _, os, _ in cand)
        solver.parameters.max_time_in_seconds = max(0.2, left * pairs / total_pairs * 2)
        status = solver.solve(model.m)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Weights were rounded to thousandths in the model; add the largest possible rounding back.
            bound += min(trivial, solver.best_objective_bound / 1000 + 0.0005 * len(orders))
            optimal += status == cp_model.OPTIMAL
        else:
            bound += trivial
    return bound, len(comps), optimal


def upper_bound(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    target: float | None = None,
    index: Index | None = None,
) -> Bound:
    """An upper bound on the total weight any feasible solution can assign: the smallest of the
    Lagrangian bound (given up to 60% of the time, 55% at district scale; it often converges sooner), the
    cluster bound at the best prices found (the time left above 40,000 order-position pairs, 40% of it
    below; on two threads) and, below 40,000 pairs, the component bound (the rest). ``time_limit`` is
    wall time: the subgradient uses one core, the clusters two.

    ``target`` is a weight some solution reaches (it steers the subgradient steps, not the validity);
    without one, the greedy's weight is used.
    """
    started = time.perf_counter()
    ix = index or Index(instance)
    positions = ix.positions()
    if target is None:
        from .greedy import greedy_state  # local: only needed without a target

        target = greedy_state(instance, ix).weight()
    lag = Lagrangian(ix, positions)
    # Step settings measured on the benchmark instances. With the projected steps, theta = 2 overshoots:
    # L was 970 on 1,000 orders (936 with theta = 1, as unprojected with theta = 2) and 8,858 on the
    # district with narrow hours (8,217 with theta = 1). Measured on the district (spread, CPU seconds):
    # L is 9,495 after 20 s and 9,480 after 33 s, and the cluster bound at those prices proves all its
    # 300-pair clusters in 12 s, so the subgradient gets a little over half of the time and the cluster
    # bound the rest; the component bound, which cannot finish its components there, none.
    share = 0.6 if lag.n_positions <= 10_000 else 0.55
    lagrangian, iterations = lag.minimise(target, seconds=share * time_limit)
    left = time_limit - (time.perf_counter() - started)
    # The component bound pays only where its components finish: measured with 60 s, on 1,000 orders
    # (28,000 order-position pairs) it was the smallest of the three; on 2,500 (81,000 pairs) it proved
    # 43 of 79 components in 50 s and stayed above the cluster bound; on the district with narrow hours
    # (87,000 pairs) it proved 1 of 248. Above 40,000 pairs the cluster bound gets all the time left.
    components = len(lag.pair_o) <= 40_000
    cluster_share = 0.4 if components else 1.0
    by_clusters, clusters, clusters_proved = priced_cluster_bound(
        lag, ix, lag.best_prices, time_limit=max(0.0, cluster_share * left)
    )
    if components:
        left = time_limit - (time.perf_counter() - started)
        by_components, components, optimal = component_bound(ix, positions, time_limit=max(0.0, left))
    else:
        by_components, components, optimal = float("inf"), 0, 0
    return Bound(
        weight=min(lagrangian, by_clusters, by_components),
        components=components,
        proved_optimal=optimal,
        seconds=time.perf_counter() - started,
        lagrangian=lagrangian,
        by_components=by_components,
        by_clusters=by_clusters,
        clusters=clusters,
        clusters_proved=clusters_proved,
        iterations=iterations,
    )


# --- the priced cluster bound --------------------------------------------------------------------------


def priced_cluster_bound(
    lag: Lagrangian,
    ix: Index,
    prices: tuple[np.ndarray, ...],
    *,
    time_limit: float,
    cluster_pairs: int = 300,
    cluster_dtime: float = 0.2,
    seed: int = 0,
    workers: int = 2,
) -> tuple[float, int, int]:
    """A bound never above the Lagrangian value at ``prices``, and below it where the classes' minimum
    sizes make the relaxation fractional: (weight, clusters, clusters proved optimal).

    Keep the prices on venue slots, teachers and residents' slots (mu, pi, sigma, rho). Cut each category's positions into
    clusters of nearby venues (about ``cluster_pairs`` order-position pairs each) and solve each cluster
    as an integer program (CP-SAT): its classes pay their venue slot's price and their cheapest
    teacher's; an order whose positions all lie in the cluster keeps its weight and the rule that it
    joins one class; an order with positions in several clusters (a *boundary* order) keeps its price
    lambda, which is counted once, and brings ``w - lambda`` to whichever clusters place it. Positions
    where no class could pay its prices are left out (a class there adds nothing). Any feasible
    solution, so split, is feasible in every cluster, so the constant prices plus the boundary orders'
    lambda plus the clusters' optima bound its weight. Per cluster, the smaller of CP-SAT's proven bound
    and the cluster's share of the Lagrangian value (itself a bound of the cluster's problem) counts.

    The bound splits by category (the constant prices aside, each category's classes are bounded by its
    own boundary orders' lambda and clusters), and any partition of a category's venues bounds that
    category, so each category counts at the smallest total of the partitions tried. When every cluster
    of a partition proves within three rounds (``_solve_clusters``), the categories are cut again into
    clusters three times bigger; a partition whose clusters do not all prove gets the time left. The
    counts returned (clusters, clusters proved) are the last partition's. Measured on the district at
    the subgradient's prices (60 CPU seconds for the whole bound), the 300-pair clusters of ``spread``
    all proved in 12 CPU seconds and the grown ones took the cluster bound from 9,411 to 9,399; with
    the Lagrangian's prices from PDLP, 1,000-pair clusters gave 9,387, 300-pair ones 9,409 and 3,000-pair
    ones, 69 of 100 proved in 60 s, 9,399.
    """
    started = time.perf_counter()
    lam, mu, pi, sig, _ = (np.asarray(x, dtype=np.float64) for x in _five(prices, len(lag.rs_used)))
    rho = _rho(lag, prices)
    n = lag.n_positions
    if n == 0:
        return 0.0, 0, 0
    tcost = pi[lag.tp_ts] + sig[lag.tp_t]
    costl = (mu[lag.p_vs] + np.minimum.reduceat(tcost, lag.tstart)).tolist()
    starts = lag.pstart.tolist()
    ends = [*starts[1:], len(lag.pair_o)]
    pair_o = lag.pair_o.tolist()
    # Rule 8's price is paid by every pair of its resident and slot, inside clusters too.
    pair_rho = rho[lag.pair_rs].tolist()
    w = ix.o_w
    laml = lam.tolist()
    p_min, p_cap = lag.p_min.tolist(), lag.p_cap.tolist()
    # Alive positions by category and venue.
    by_cv: defaultdict[int, defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, (c, v, _) in enumerate(lag.kept):
        top = sorted((w[o] for o in pair_o[starts[i] : ends[i]]), reverse=True)[: p_cap[i]]
        if math.fsum(top) > costl[i]:
            by_cv[c][v].append(i)
    venues = ix.instance.venues
    mean_lat = sum(v.lat for v in venues) / len(venues) if venues else 0.0
    cos_lat = math.cos(math.radians(mean_lat))

    def planar(a: int, b: int) -> float:
        return math.hypot(venues[a].lat - venues[b].lat, (venues[a].lon - venues[b].lon) * cos_lat)

    def partition(c: int, size: int) -> list[list[int]]:
        """Category c's alive positions cut into clusters of nearby venues, about ``size`` pairs each."""
        out: list[list[int]] = []
        left = sorted(by_cv[c], key=lambda v: (venues[v].lat, venues[v].lon, v))
        while left:
            seed_venue = left[0]
            left.sort(key=lambda v, sv=seed_venue: (planar(sv, v), v))
            cluster: list[int] = []
            pairs = 0
            while left and (not cluster or pairs < size):
                v = left.pop(0)
                cluster.extend(by_cv[c][v])
                pairs += sum(ends[i] - starts[i] for i in by_cv[c][v])
            left.sort(key=lambda v: (venues[v].lat, venues[v].lon, v))
            out.append(cluster)
        return out

    def cluster_model(cluster: list[int], boundary: set[int]) -> tuple[float, cp_model.CpModel | None]:
        """The cluster's share of the Lagrangian value (a bound of its problem) and its integer program."""
        internal = sorted({o for i in cluster for o in pair_o[starts[i] : ends[i]]} - boundary)
        gains = []
        for i in cluster:
            reduced = sorted(
                (w[pair_o[j]] - laml[pair_o[j]] - pair_rho[j] for j in range(starts[i], ends[i])),
                reverse=True,
            )
            sums = list(accumulate(reduced))
            best = max(sums[p_min[i] - 1 : p_cap[i]])
            gains.append(max(0.0, best - costl[i]))
        lagr = math.fsum(laml[o] for o in internal) + math.fsum(gains)
        if lagr <= 0:
            return lagr, None
        m = cp_model.CpModel()
        by_order: defaultdict[int, list[cp_model.IntVar]] = defaultdict(list)
        lits: list[cp_model.IntVar] = []
        coefs: list[int] = []
        for i in cluster:
            y = m.new_bool_var("")
            xs = []
            for j in range(starts[i], ends[i]):
                o = pair_o[j]
                x = m.new_bool_var("")
                m.add_implication(x, y)
                xs.append(x)
                value = (w[o] - laml[o] if o in boundary else w[o]) - pair_rho[j]
                # Rounded up (and the costs down) so that no solution's integer value falls below its
                # true value times the scale: CP-SAT's bound divided back is then a bound.
                lits.append(x)
                coefs.append(math.ceil(value * scale))
                if o not in boundary:
                    by_order[o].append(x)
            size = cp_model.LinearExpr.sum(xs)
            m.add(size >= p_min[i] * y)
            m.add(size <= p_cap[i] * y)
            lits.append(y)
            coefs.append(-math.floor(costl[i] * scale))
        for group in by_order.values():
            if len(group) > 1:
                m.add_at_most_one(group)
        m.maximize(cp_model.LinearExpr.weighted_sum(lits, coefs))
        return lagr, m

    scale = 10_000
    deadline = started + time_limit
    categories = sorted(by_cv)
    # Per category, the smallest total any partition proved; the first partition's is the Lagrangian's
    # share until its clusters are solved.
    best_total: dict[int, float] = {}
    counts: tuple[int, int] = (0, 0)
    size = cluster_pairs
    rounds = 3
    # The first partition always counts (at the Lagrangian's shares where no time is left to solve it).
    while categories and (not best_total or time.perf_counter() < deadline):
        cut = {c: partition(c, size) for c in categories}
        whole = all(len(cut[c]) == 1 for c in categories)
        owners: list[int] = []
        totals: dict[int, list[float]] = {}
        models: list[cp_model.CpModel] = []
        ceilings: list[float] = []
        for c in categories:
            home: dict[int, int] = {}
            boundary: set[int] = set()
            for k, cluster in enumerate(cut[c]):
                for i in cluster:
                    for o in pair_o[starts[i] : ends[i]]:
                        if home.setdefault(o, k) != k:
                            boundary.add(o)
            totals[c] = [laml[o] for o in sorted(boundary)]
            for cluster in cut[c]:
                lagr, m = cluster_model(cluster, boundary)
                if m is None:
                    totals[c].append(lagr)
                else:
                    models.append(m)
                    ceilings.append(lagr)
                    owners.append(c)
        bounds, solved = _solve_clusters(
            models,
            ceilings,
            scale,
            deadline,
            dtime=cluster_dtime,
            seed=seed,
            workers=workers,
            rounds=None if whole else rounds,
        )
        unproved = [k for k, done in enumerate(solved) if not done]
        grow = not whole and not unproved
        if unproved and not whole:
            # Some clusters of this size do not prove: bigger ones would not either, so this partition
            # gets the time left, with ever more work for its unproved clusters.
            more, again = _solve_clusters(
                [models[k] for k in unproved],
                [bounds[k] for k in unproved],
                scale,
                deadline,
                dtime=cluster_dtime * 4**rounds,
                seed=seed,
                workers=workers,
            )
            for k, bound, done in zip(unproved, more, again, strict=True):
                bounds[k], solved[k] = bound, done
        proved = sum(solved)
        for c, bound in zip(owners, bounds, strict=True):
            totals[c].append(bound)
        for c in categories:
            total = math.fsum(totals[c])
            if total < best_total.get(c, math.inf):
                best_total[c] = total
        counts = (sum(len(cut[c]) for c in categories), proved)
        if not grow:
            break
        # Every cluster proved with time left: bigger clusters leave fewer orders at their boundaries.
        size *= 3
    terms: list[float] = [float(x) for x in mu[lag.vs_used]]
    terms += [float(x) for x in pi[lag.ts_used]]
    terms += [float(x) for x in sig * lag.t_cap]
    terms += [float(x) for x in rho[lag.rs_used]]
    terms += [best_total[c] for c in sorted(best_total)]
    clusters, proved = counts
    return math.fsum(terms) + 1e-9 * math.fsum(abs(x) for x in terms) + 1e-6, clusters, proved


def _solve_clusters(
    models: list[cp_model.CpModel],
    ceilings: list[float],
    scale: int,
    deadline: float,
    *,
    dtime: float,
    seed: int,
    workers: int,
    rounds: int | None = None,
) -> tuple[list[float], list[bool]]:
    """Each cluster's bound (the smaller of CP-SAT's proven bound, divided by ``scale``, and its ceiling)
    and whether it was proved optimal, solving them until ``deadline`` (``time.perf_counter``) or for
    ``rounds`` rounds.

    The clusters are independent, so ``workers`` threads solve them side by side (CP-SAT lets go of the
    GIL while it searches). The first round gives each ``dtime`` deterministic seconds; every later round
    solves the clusters still unproved again with four times as much, widest gap (bound less the best
    solution found) first, so the time left over goes where the bound can still fall. A cluster keeps the
    smallest bound any of its solves proved.
    """
    bounds = list(ceilings)
    found = [0.0] * len(models)
    proved = [False] * len(models)

    def run(k: int, limit: float) -> tuple[int, int, float, float] | None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.linearization_level = 2
        solver.parameters.max_deterministic_time = limit
        solver.parameters.max_time_in_seconds = left
        status = solver.solve(models[k])
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return k, status, solver.best_objective_bound / scale, solver.objective_value / scale

    pending = list(range(len(models)))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending and time.perf_counter() < deadline and rounds != 0:
            if rounds is not None:
                rounds -= 1
            for result in pool.map(lambda k, limit=dtime: run(k, limit), pending):
                if result is None:
                    continue
                k, status, bound, value = result
                bounds[k] = min(bounds[k], max(0.0, bound))
                found[k] = max(found[k], value)
                proved[k] = proved[k] or status == cp_model.OPTIMAL
            pending = sorted((k for k in pending if not proved[k]), key=lambda k: (found[k] - bounds[k], k))
            dtime *= 4
    return bounds, proved
