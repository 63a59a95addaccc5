"""Versioned credit terms sheets and their acknowledgements; every existing company gets version 1 of its sheet,
written by the same pure function the service uses (companies/terms.py), to be acknowledged like a new one."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def first_sheets(apps: Any, schema_editor: Any) -> None:
    from django.utils import timezone

    from companies.terms import contract_terms, terms_sheet_text, text_sha256

    Contract = apps.get_model("companies", "Contract")
    TermsSheet = apps.get_model("companies", "TermsSheet")
    operator = {
        "name": settings.OPERATOR_NAME,
        "license_number": settings.OPERATOR_LICENSE_NUMBER,
        "address": settings.OPERATOR_ADDRESS,
        "email": settings.OPERATOR_CONTACT_EMAIL,
    }
    for contract in Contract.objects.select_related("company").filter(terms_sheets__isnull=True).iterator():
        terms = contract_terms(contract)
        text = terms_sheet_text(
            terms=terms, company_name=contract.company.name, version=1, created_on=timezone.localdate(), operator=operator
        )
        TermsSheet.objects.create(contract=contract, version=1, terms=terms, text=text, sha256=text_sha256(text))


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0006_contract_entrusted_data_retention'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TermsSheet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(verbose_name='版')),
                ('terms', models.JSONField(verbose_name='契約条件(作成時点)')),
                ('text', models.TextField(verbose_name='本文')),
                ('sha256', models.CharField(max_length=64, verbose_name='本文の SHA-256')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='作成日時')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terms_sheets', to='companies.contract')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '契約条件書',
                'ordering': ['-version'],
            },
        ),
        migrations.CreateModel(
            name='TermsAcknowledgement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user_label', models.CharField(max_length=300, verbose_name='確認した方')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='確認日時')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP アドレス')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sheet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='companies.termssheet')),
            ],
            options={
                'verbose_name': '契約条件書の確認',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='termssheet',
            constraint=models.UniqueConstraint(fields=('contract', 'version'), name='terms_sheet_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='termsacknowledgement',
            constraint=models.UniqueConstraint(fields=('sheet', 'user'), name='terms_acknowledged_once_per_user'),
        ),
        migrations.RunPython(first_sheets, migrations.RunPython.noop),
    ]
