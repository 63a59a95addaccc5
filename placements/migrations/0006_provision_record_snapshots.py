"""第三者提供の記録 keep who, to whom, on which consent and by whom (DESIGN.md §3 rule 15).

Existing records get their snapshot from their candidate where the account still exists: name, furigana and
e-mail as they are now (the nearest to "at the time" that is left), the company's current name, the service
consent in force at the disclosure (its version and wording) and the proposing advisor. A record whose person
is already gone cannot be named again; its retention clock starts now (the deletion time was not recorded).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    from django.utils import timezone

    ProvisionRecord = apps.get_model("placements", "ProvisionRecord")
    Consent = apps.get_model("candidates", "Consent")
    now = timezone.now()
    for record in ProvisionRecord.objects.select_related("candidate", "company", "introduction"):
        record.company_name = record.company.name
        if record.introduction is not None and record.introduction.proposed_by_id:
            record.actor_id = record.introduction.proposed_by_id
        person = record.candidate
        if person is None:
            record.candidate_deleted_at = now
        else:
            record.candidate_name = person.name
            record.candidate_furigana = person.furigana
            record.candidate_email = person.email
            consent = (
                Consent.objects.filter(
                    candidate=person, kind="service", granted=True, created_at__lte=record.created_at
                )
                .select_related("consent_text")
                .order_by("-created_at", "-id")
                .first()
            )
            if consent is not None:
                record.consent = consent
                record.consent_version = consent.version
                record.consent_at = consent.created_at
                text = consent.consent_text
                record.consent_wording = consent.wording or (
                    f"{text.text}\n{text.note}".strip() if text is not None else ""
                )
        record.save()


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0007_consent_texts'),
        ('placements', '0005_pool_listings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='provisionrecord',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='actor_label',
            field=models.CharField(blank=True, max_length=200, verbose_name='提供を行った者'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='candidate_deleted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='本人のアカウント削除日時'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='candidate_email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='本人のメールアドレス(提供時)'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='candidate_furigana',
            field=models.CharField(blank=True, max_length=100, verbose_name='本人のフリガナ'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='candidate_name',
            field=models.CharField(blank=True, max_length=100, verbose_name='本人の氏名'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='company_name',
            field=models.CharField(blank=True, max_length=200, verbose_name='提供先の名称(提供時)'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='consent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='provision_records', to='candidates.consent'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='consent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='同意の日時'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='consent_version',
            field=models.CharField(blank=True, max_length=64, verbose_name='同意の版'),
        ),
        migrations.AddField(
            model_name='provisionrecord',
            name='consent_wording',
            field=models.TextField(blank=True, verbose_name='同意の文言'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
