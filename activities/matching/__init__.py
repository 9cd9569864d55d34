"""The matching service's pure core (派单): orders pooled into classes with a teacher, a venue and a slot.

No Django here: ``problem`` reads and writes the exchange format of ``docs/matching.md``,
``checker`` referees any solution, ``greedy`` is the baseline, ``solver`` the OR-Tools solver,
``reasons`` explains unassigned orders and ``generate`` makes synthetic instances.
"""
