
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('relay', '0004_credit_grant_ratio'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='referral',
            name='count_after',
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='カウント予定日時'),
        ),
        migrations.AddField(
            model_name='referral',
            name='ip_hash',
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name='referral',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='確認日時'),
        ),
        migrations.AddField(
            model_name='referral',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='referral',
            name='risk_codes',
            field=models.CharField(blank=True, default='', max_length=300),
        ),
        migrations.AddField(
            model_name='referral',
            name='risk_score',
            field=models.PositiveSmallIntegerField(db_index=True, default=0, verbose_name='リスクスコア'),
        ),
        migrations.AddField(
            model_name='referral',
            name='user_agent_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='referral',
            name='status',
            field=models.CharField(choices=[('pending', 'メール確認待ち'), ('awaiting_interview', '初回面談待ち'), ('cooling_off', '確認中'), ('in_review', '運営で確認中'), ('held', '保留中'), ('counted', 'カウント済み'), ('invalidated', '無効')], default='pending', max_length=20, verbose_name='ステータス'),
        ),
    ]
