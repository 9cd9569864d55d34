"""The matching service inside the portal (派单): database → instance → solver → proposal → classes.

    build.py      the spec's instance from the database, for a community, a street or the district
    service.py    match_run (build, solve, store the proposal), proposed_class_confirm / run_confirm,
                  proposed_class_teacher_answer / proposed_class_venue_answer, discard
    selectors.py  runs, proposed classes, and `unassigned_reason_counts` for the dashboards
    incremental.py  a newly accepted order placed at once into an open class that fits it (no run);
                  triggered after 接单 commits by `activities.tasks.place_accepted_order`
    waitlist.py   waiting lists long enough for a second class become accepted orders before a run;
                  confirming gives up the waiting-list entry
    fanout.py     a district's or a city's run over Celery workers: the instance split into independent
                  parts (`activities.matching.split`), a chord of part tasks gathered into one proposal
                  per district (`match_fanout`, `match_city_fanout`)
    enums.py      the choices of the models below

The pure core is `activities.matching` (no Django). The models are `MatchRun`, `ProposedClass`,
`ProposedPlacement` and `UnassignedOrder` in `activities.models`; staff work with them in the admin
(`activities.admin_dispatch`) and operators with `manage.py match`.

Decisions, in one place:

- **Running again is safe.** A proposed class holds its orders (a partial unique index: one live
  placement per order), its teacher's slot and one of the teacher's weekly sessions, and its venue's slot,
  until it is confirmed, declined or discarded. A new run leaves held orders out and treats those slots as
  taken, so it never proposes an order, a teacher or a room twice; it only places what is still free.
  Confirmed classes are courses with sessions and bookings, and their orders are dispatched (派单), so a
  run never touches them. For a fresh plan instead, `match --replace` (or discarding the proposal in the
  admin) discards the scope's still-proposed classes first and marks their runs superseded.
- **Consent.** Every proposed class asks its teacher; a venue whose bookings need the owner's
  confirmation also asks its owner. Staff may confirm a class whose answers are still pending (they often
  settle it by telephone), never one that was declined. When the owner has accepted, the class's bookings
  are confirmed at once; otherwise the venue service leaves them pending for the owner, as for any booking.
- **Decline and re-dispatch.** A decline ends the class (declined); its orders never left ACCEPTED, so they
  are simply back in the pool. The spec's format cannot say "not this teacher for these orders", so the
  exclusion is written into the instance at the teacher's (venue's) level: for the rest of the term the
  declining teacher is not offered that weekly slot (the declining venue is not open in that slot). The
  declined `ProposedClass` row is the record the builder reads; discarding, unlike declining, excludes
  nothing.
- **Scope.** A run pools the ACCEPTED orders of its node and uses the venues of its node only (a class
  belongs to its venue's community, and staff confirm only what is theirs); teachers come from the whole
  shared pool. Community staff run and confirm their community, street staff their street; the district
  office reads everything and changes nothing; superusers and the command (without --user) act anywhere.
- **Determinism.** The instance is read in id order and the solver runs on a work budget with a fixed seed,
  so the same database and seed give the same proposal.
- **Incremental placement.** After 接单 commits, the order goes straight into the best open class that
  fits it (interest, walking distance, slot, a free place), through `order_dispatch_into_course` and so
  within the accepting staff member's scope; otherwise it waits, accepted, for the next run.
- **Waiting lists.** Waiting residents become *orders* (made on their behalf, linked from their
  waiting-list registration), not a separate kind of demand: the exchange format, the builder, the
  proposal rows and the confirmation all work on orders, and an order is what staff already review.
- **Notices.** Nothing here sends one: orders, registrations and bookings move only through their own
  services, where notices are wired.
"""
