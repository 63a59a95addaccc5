import django.db.models.deletion
from django.db import migrations, models


def mark_indefinite(apps, schema_editor):
    """Existing placements are indefinite (無期雇用) when their job order is 正社員, fixed-term otherwise."""
    Placement = apps.get_model("placements", "Placement")
    Placement.objects.exclude(job_order__employment_type="full_time").update(indefinite=False)


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0006_canonical_email_and_erased_identity"),
        ("placements", "0005_pool_listings"),
    ]

    operations = [
        migrations.AddField(
            model_name="placement",
            name="indefinite",
            field=models.BooleanField(default=True, verbose_name="無期雇用"),
        ),
        migrations.RunPython(mark_indefinite, migrations.RunPython.noop),
        migrations.CreateModel(
            name="JobChangeRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="ご本人からの申し出日時")),
                (
                    "candidate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="job_change_requests",
                        to="candidates.candidate",
                    ),
                ),
                (
                    "placement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="job_change_requests",
                        to="placements.placement",
                    ),
                ),
            ],
            options={"verbose_name": "転職相談のお申し出"},
        ),
        migrations.AddConstraint(
            model_name="jobchangerequest",
            constraint=models.UniqueConstraint(
                fields=("candidate", "placement"), name="job_change_request_once_per_placement"
            ),
        ),
    ]
