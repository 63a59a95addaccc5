import django.core.validators
from django.db import migrations, models

FIELD = dict(
    help_text="メール確認からこの時間が過ぎると紹介がカウントされます。0 を指定するとすぐにカウントします。",
    validators=[django.core.validators.MaxValueValidator(720)],
    verbose_name="カウントまでの確認期間(時間)",
)


class Migration(migrations.Migration):
    """New contracts wait 72 hours before a referral counts; contracts signed before this keep counting at once
    (0), because their terms were agreed without a delay. An admin changes it on the contract form, audited."""

    dependencies = [
        ("companies", "0004_contract_ratio_epochs"),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="cooling_off_hours",
            field=models.PositiveSmallIntegerField(default=0, **FIELD),
        ),
        migrations.AlterField(
            model_name="contract",
            name="cooling_off_hours",
            field=models.PositiveSmallIntegerField(default=72, **FIELD),
        ),
    ]
