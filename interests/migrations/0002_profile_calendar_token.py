import secrets

from django.db import migrations, models

import interests.models


def fill_tokens(apps, schema_editor):
    Profile = apps.get_model("interests", "ResidentProfile")
    batch = []
    for profile in Profile.objects.only("pk").iterator(chunk_size=5000):
        profile.calendar_token = secrets.token_urlsafe(32)
        batch.append(profile)
        if len(batch) >= 5000:
            Profile.objects.bulk_update(batch, ["calendar_token"])
            batch = []
    Profile.objects.bulk_update(batch, ["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [("interests", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="residentprofile",
            name="calendar_token",
            field=models.CharField(editable=False, max_length=43, null=True, verbose_name="calendar token"),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="residentprofile",
            name="calendar_token",
            field=models.CharField(
                default=interests.models.new_calendar_token,
                editable=False,
                max_length=43,
                unique=True,
                verbose_name="calendar token",
            ),
        ),
    ]
