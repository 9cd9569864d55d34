"""Benchmark: recognition rounds (榜样评选) on PostgreSQL — the candidates' figures of a district round over the
district seed, and voting through gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_recognition .venv/bin/python manage.py seed_demo --scale district
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_recognition .venv/bin/python bench/recognition.py \
        [--voters 2000] [--clients 32] [--workers 4] [--threads 6] [--skip-figures] [--skip-votes]

1. figures: a district round (teacher, group, volunteer and resident categories) over the largest district
   in the database; `ratings.recognition.selectors.area_figures` computes every eligible subject's figures
   (the candidates the data suggests). Prints seconds, queries and subjects per category.
   Aims: at most 10 s and 30 queries for the district seed (750 teachers, 1,000 groups, 250,000 residents).
2. votes: a street round of its own with two candidates and `--voters` residents of the street, each with an
   API token; gunicorn serves the portal (as bench/booking.py); every resident POSTs a vote for each of the
   two candidates at once (two requests in flight per resident: the double vote the unique constraint must
   refuse). Prints counted votes per minute, latency, and the audit: votes counted = residents, 0 double
   counts, every refusal "already_voted", no failed request.

Exit status 1 when an aim about correctness fails (a double count, a lost vote, a failed request); timings
are printed, never asserted (they depend on this machine's load).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Phase, fire, require_gunicorn, server_env, start_gunicorn, stop  # noqa: E402

FIGURE_SECONDS, FIGURE_QUERIES = 10.0, 30


def figures_bench() -> bool:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from accounts.models import District, User
    from activities.models import Term
    from ratings.enums import CandidateKind
    from ratings.recognition import selectors, services

    district = District.objects.annotate(n=Count("streets__communities__residents")).order_by("-n").first()
    term = Term.objects.annotate(n=Count("courses")).order_by("-n").first()
    if district is None or term is None:
        print("figures: no district or term in the database (run seed_demo --scale district first)")
        return True
    office = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        email=f"bench-{secrets.token_hex(3)}@bench.invalid", name="压测管理员"
    )
    with transaction.atomic():
        round = services.round_open(
            actor=office,
            title="压测：区级榜样评选",
            term=term,
            district=district,
            categories=[
                {"name": "优秀教师", "kind": CandidateKind.TEACHER},
                {"name": "优秀兴趣小组", "kind": CandidateKind.GROUP},
                {"name": "优秀志愿者", "kind": CandidateKind.VOLUNTEER},
                {"name": "学习之星", "kind": CandidateKind.RESIDENT},
            ],
        )
        round = selectors.rounds().prefetch_related("categories").get(pk=round.pk)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            rows = selectors.area_figures(round=round)
            seconds = time.perf_counter() - began
        categories = {c.pk: c for c in round.categories.all()}
        print(f"\nfigures of a district round: {district.name}, term {term.name}")
        for pk, subjects in rows.items():
            top = subjects[0] if subjects else None
            print(
                f"  {categories[pk].name:<8} {len(subjects):>8} subjects"
                + (f"   top: {top.subject.name} {top.figures}" if top else "")
            )
        print(
            f"  {seconds:.2f} s, {len(queries)} queries (aims: <= {FIGURE_SECONDS:.0f} s, <= {FIGURE_QUERIES} queries)"
        )
        transaction.set_rollback(True)  # the round was only a vehicle
    return seconds <= FIGURE_SECONDS and len(queries) <= FIGURE_QUERIES


# --- votes through gunicorn -----------------------------------------------------------------------------------


def _vote_setup(voters: int):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.api.authentication import digest_of
    from accounts.enums import Role
    from accounts.models import ApiToken, Community, District, RoleAssignment, Street, User
    from activities.models import Term
    from interests.models import InterestGroup, ResidentProfile
    from ratings.enums import CandidateKind
    from ratings.recognition import services

    run = secrets.token_hex(4)
    district = District.objects.create(name=f"压测区 {run}", code=f"bench-rec-{run}")
    street = Street.objects.create(district=district, name="压测街道", code=f"bench-rec-street-{run}")
    community = Community.objects.create(street=street, name="压测社区", code=f"bench-rec-community-{run}")
    today = timezone.localdate()
    term = Term.objects.create(
        district=district,
        name=f"压测学期 {run}",
        starts_on=today.replace(day=1),
        ends_on=today.replace(year=today.year + 1, day=1),
    )
    manager = User.objects.create_user(
        email=f"bench-rec-{run}-m@bench.invalid", name="压测街道干部", is_staff=True
    )
    RoleAssignment.objects.create(user=manager, role=Role.STREET_STAFF, street=street)
    from interests.models import Category

    category = Category.objects.create(name=f"合唱压测{run}")
    groups = [
        InterestGroup.objects.create(name=f"合唱团{i}", category=category, community=community)
        for i in (1, 2)
    ]
    round = services.round_open(
        actor=manager,
        title="压测：街道榜样评选",
        term=term,
        street=street,
        categories=[{"name": "优秀兴趣小组", "kind": CandidateKind.GROUP}],
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"bench-rec-{run}-{i}@bench.invalid", name=f"居民{i}", password=unusable)
            for i in range(voters)
        ],
        batch_size=1000,
    )
    ResidentProfile.objects.bulk_create(
        [ResidentProfile(user=u, community=community) for u in users], batch_size=1000
    )
    secrets_ = [secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, name="bench", prefix=s[:8], digest=digest_of(s))
            for u, s in zip(users, secrets_, strict=True)
        ],
        batch_size=1000,
    )
    category_row = round.categories.get()
    candidates = [
        services.nomination_create(
            category=category_row, nominator=users[0], subject_id=g.pk, reason="压测"
        ).candidate
        for g in groups
    ]
    services.round_start_notice(round=round, actor=manager)
    return {
        "district": district,
        "street": street,
        "community": community,
        "term": term,
        "manager": manager,
        "category": category,
        "groups": groups,
        "round": round,
        "users": users,
        "secrets": secrets_,
        "candidates": candidates,
    }


def _vote_teardown(fx) -> None:
    from accounts.models import User

    fx["round"].delete()  # categories, candidates, nominations, votes cascade
    User.objects.filter(pk__in=[u.pk for u in fx["users"]] + [fx["manager"].pk]).delete()
    for g in fx["groups"]:
        g.delete()
    fx["category"].delete()
    fx["term"].delete()
    fx["community"].delete()
    fx["street"].delete()
    fx["district"].delete()


def _fire_votes(port: int, clients: int, requests: list[tuple[str, str]]) -> tuple[Phase, Counter]:
    """POST each (path, token) once from `clients` keep-alive connections; count the answers by status/code."""

    def vote(i: int):
        path, secret = requests[i]
        headers = {"Host": "127.0.0.1", "Authorization": f"Token {secret}", "Accept": "application/json", "Content-Length": "0"}
        return "POST", path, headers, b""

    def judge(status: int, body: bytes) -> str:
        if status == 201:
            return "201"
        if status == 409 and b'"already_voted"' in body:
            return "409 already_voted"
        return ""

    phase = fire("votes", port=port, clients=clients, count=len(requests), request=vote, judge=judge)
    return phase, phase.answers


def votes_bench(args, env) -> bool:
    from django.db import connection
    from django.db.models import Count

    from ratings.models import Vote

    print(f"\nsetting up a street round with two candidates and {args.voters} residents ...", flush=True)
    fx = _vote_setup(args.voters)
    connection.close()
    a, b = fx["candidates"]
    # Each resident's two votes (one per candidate) sit next to each other, so both are in flight together.
    requests = []
    for secret in fx["secrets"]:
        requests += [
            (f"/api/v1/recognition/candidates/{a.pk}/vote/", secret),
            (f"/api/v1/recognition/candidates/{b.pk}/vote/", secret),
        ]
    server = start_gunicorn(port=args.port, workers=args.workers, threads=args.threads, env=env)
    try:
        phase, answers = _fire_votes(args.port, args.clients, requests)
    finally:
        stop(server)
    counted = Vote.objects.filter(round=fx["round"]).count()
    doubles = (
        Vote.objects.filter(round=fx["round"])
        .values("voter_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    print(
        f"\nvotes through gunicorn ({args.workers} worker(s) x {args.threads} thread(s), {args.clients} clients, "
        f"{args.voters} residents x 2 simultaneous votes)"
    )
    print(
        f"  {phase.completed} answers in {phase.seconds:.1f} s: {answers['201']} counted, {answers['409 already_voted']} refused as a second vote"
    )
    print(
        f"  {answers['201'] / phase.seconds * 60:,.0f} votes counted/min; {phase.per_minute:,.0f} requests/min; "
        f"p50 {phase.percentile(50) * 1000:.0f} ms, p95 {phase.percentile(95) * 1000:.0f} ms"
    )
    print(
        f"  audit: {counted} votes stored for {args.voters} residents, {doubles} double counts, {len(phase.failures)} failed requests"
    )
    if phase.failures:
        print("  first failures:", phase.failures[:3])
    if not args.keep:
        _vote_teardown(fx)
    return counted == args.voters == answers["201"] and doubles == 0 and not phase.failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--skip-figures", action="store_true")
    parser.add_argument("--skip-votes", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the voting rows afterwards")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/cc_recognition"
        )
    env = server_env(database_url)
    env["DJANGO_LOG_LEVEL"] = "ERROR"  # every refused second vote is a 409 the log would report as a warning
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    ok = True
    if not args.skip_figures:
        figures_bench()  # timings are reported, not judged: they depend on the machine's load
    if not args.skip_votes:
        require_gunicorn()
        ok = votes_bench(args, env) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
