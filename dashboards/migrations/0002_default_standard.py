"""Publish the default star standard, so that the monthly computation has one from the first day.

The figures are copied here (not imported from `ratings.stars`) so that this migration always writes the
same rows; the district edits its own copy in the admin.
"""

import datetime

from django.db import migrations
from django.utils import timezone

DEFAULT_INDICATORS = [
    # code, weight, worst (scores 0), best (full marks)
    ("venue_hours_per_1000", 8, 0, 30),
    ("venue_utilisation", 8, 0, 0.5),
    ("active_teachers", 6, 0, 5),
    ("teacher_rating", 8, 3.0, 4.8),
    ("teachers_per_1000", 6, 0, 1.0),
    ("categories_offered", 8, 0, 6),
    ("orders_dispatched_share", 8, 0, 0.8),
    ("median_hours_to_accept", 5, 168, 4),
    ("median_hours_to_dispatch", 5, 1440, 168),
    ("funding", 0, 0, 1),
    ("participation_per_1000", 10, 0, 10),
    ("attendance_rate", 8, 0.5, 0.95),
    ("satisfaction", 10, 3.0, 4.8),
    ("policy_talks", 5, 0, 4),
    ("groups_active", 5, 0, 15),
]


def publish_default(apps, schema_editor):
    StarStandard = apps.get_model("dashboards", "StarStandard")
    StandardIndicator = apps.get_model("dashboards", "StandardIndicator")
    if StarStandard.objects.exists():
        return
    standard = StarStandard.objects.create(
        name="社区学院星级评价标准（第一版）",
        effective_from=datetime.date(2000, 1, 1),
        two_stars=40,
        three_stars=55,
        four_stars=70,
        five_stars=85,
        note="The portal's default standard: five pillars, fifteen indicators; money has no weight until funding is tracked.",
        published_at=timezone.now(),
    )
    StandardIndicator.objects.bulk_create(
        StandardIndicator(standard=standard, code=code, weight=weight, worst=worst, best=best)
        for code, weight, worst, best in DEFAULT_INDICATORS
    )


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_initial")]

    operations = [migrations.RunPython(publish_default, migrations.RunPython.noop)]
