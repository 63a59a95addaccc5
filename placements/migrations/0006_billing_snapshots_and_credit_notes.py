"""Invoices keep who issued them and to whom (issuer, recipient), and refunds become credit notes (返還請求書).

Existing invoices are given the issuer details of the day this migration runs (the best record there is: before
it, every download read the settings of the moment) and the company's current name."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def snapshot_existing(apps: Any, schema_editor: Any) -> None:
    Placement = apps.get_model("placements", "Placement")
    issuer = {
        "name": settings.OPERATOR_NAME,
        "address": settings.OPERATOR_ADDRESS,
        "phone": settings.OPERATOR_PHONE,
        "email": settings.OPERATOR_CONTACT_EMAIL,
        "registration_number": settings.OPERATOR_INVOICE_REGISTRATION_NUMBER,
        "license_number": settings.OPERATOR_LICENSE_NUMBER,
        "bank_account": settings.OPERATOR_BANK_ACCOUNT,
    }
    for placement in Placement.objects.select_related("company").filter(issuer={}).iterator():
        placement.issuer = issuer
        placement.recipient = {"name": placement.company.name, "address": ""}
        placement.save(update_fields=["issuer", "recipient"])


class Migration(migrations.Migration):
    dependencies = [
        ("placements", "0005_pool_listings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="placement",
            name="issuer",
            field=models.JSONField(default=dict, verbose_name="発行者(発行時点)"),
        ),
        migrations.AddField(
            model_name="placement",
            name="recipient",
            field=models.JSONField(default=dict, verbose_name="宛先(発行時点)"),
        ),
        migrations.RunPython(snapshot_existing, migrations.RunPython.noop),
        migrations.CreateModel(
            name="CreditNote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("issued_on", models.DateField(verbose_name="発行日")),
                ("left_on", models.DateField(verbose_name="退職日")),
                ("refund_percent", models.PositiveSmallIntegerField(verbose_name="返戻率(%)")),
                ("tax_rate_bp", models.PositiveIntegerField(verbose_name="消費税率(ベーシスポイント)")),
                ("refund_yen", models.PositiveIntegerField(verbose_name="返還額(税抜)")),
                ("tax_yen", models.PositiveIntegerField(verbose_name="返還額の消費税")),
                ("total_yen", models.PositiveIntegerField(verbose_name="返還額(税込)")),
                ("issuer", models.JSONField(default=dict, verbose_name="発行者(発行時点)")),
                ("recipient", models.JSONField(default=dict, verbose_name="宛先(発行時点)")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="登録日時")),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "placement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_notes",
                        to="placements.placement",
                    ),
                ),
                (
                    "replaces",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="replaced_by",
                        to="placements.creditnote",
                        verbose_name="訂正前",
                    ),
                ),
            ],
            options={
                "verbose_name": "返還請求書",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("total_yen", models.F("refund_yen") + models.F("tax_yen"))),
                        name="credit_note_total_adds_up",
                    )
                ],
            },
        ),
    ]
