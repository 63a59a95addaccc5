"""Consent wordings kept as versioned rows (ConsentText), and each Consent row pointing at the one it was given on.

Version 1 of each wording is the text the registration form and My Page showed when this migration was written
(copied here, so a later change of `candidates/consent_texts.py` becomes version 2, never a rewrite of 1).

Existing consent rows are linked where the wording they were given on is known: every consent wording has read
as below since commit 3256633 (2026-12-03 14:38:28 UTC, the last change of a label), so rows from that moment on
get version 1 of their screen (web → registration, mypage → My Page) in Japanese, the default language (the
screen's language was not recorded), with the text as shown (the referring company's name filled in). Older
rows stay unlinked: what they were shown cannot be proved, and the screens say so.
"""

import hashlib
from datetime import datetime, timezone

import django.db.models.deletion
from django.db import migrations, models


VERSION_1 = {('newsletter', 'mypage', 'en'): ('Receive job information and news emails', ''),
 ('newsletter', 'mypage', 'ja'): ('求人情報・お知らせメールを受け取る', ''),
 ('newsletter', 'registration', 'en'): ('Receive job information and news emails from Career Relay (optional)',
                                        ''),
 ('newsletter', 'registration', 'ja'): ('キャリアリレーからの求人情報・お知らせメールを受け取る(任意)', ''),
 ('rechallenge', 'mypage', 'en'): ('Receive re-challenge invitations from companies that turned me down', ''),
 ('rechallenge', 'mypage', 'ja'): ('不採用となった企業からの再チャレンジのご案内を受け取る', ''),
 ('rechallenge', 'registration', 'en'): ('Receive a future invitation to apply again (re-challenge) from the '
                                         "company that didn't work out this time (optional; that company will "
                                         'learn that you registered)',
                                         ''),
 ('rechallenge', 'registration', 'ja'): ('今回ご縁のなかった企業から、将来あらためて選考のご案内(再チャレンジ)を受け取る(任意。その企業に、ご登録いただいたことが伝わります)',
                                         ''),
 ('service', 'mypage', 'en'): ('Share my profile with member companies for referrals',
                               'If you turn this off, we will stop referring you to companies.'),
 ('service', 'mypage', 'ja'): ('プロフィールを導入企業へのご紹介のために提供する', 'オフにすると、企業へのご紹介を停止します。'),
 ('service', 'registration', 'en'): ('I agree to the Terms of Use and the Handling of Personal Information, and '
                                     'consent to my profile being shared with member companies for referral '
                                     'purposes (required)',
                                     ''),
 ('service', 'registration', 'ja'): ('利用規約と個人情報の取扱いに同意し、ご紹介のためにプロフィールを導入企業へ提供することに同意します(必須)', ''),
 ('share_with_company', 'mypage', 'en'): ('Let the company that referred me know that I registered',
                                          'While this is off, the company only sees counts without names (counts '
                                          'under 5 are hidden).'),
 ('share_with_company', 'mypage', 'ja'): ('ご登録いただいたことを、ご案内元の企業に知らせる', 'オフのあいだ、企業にはお名前を伴わない件数(5件未満は非表示)だけが伝わります。'),
 ('share_with_company', 'registration', 'en'): ('You may tell %(company)s that I registered (optional)', ''),
 ('share_with_company', 'registration', 'ja'): ('ご登録いただいたことを %(company)s に知らせてよい(任意)', '')}

WORDINGS_KNOWN_SINCE = datetime(2026, 12, 3, 14, 38, 28, tzinfo=timezone.utc)
FALLBACK_COMPANY = {"ja": "ご案内元の企業", "en": "the company that referred me"}


def _digest(text, note):
    return hashlib.sha256(f"{text}\n{note}".encode()).hexdigest()


def create_version_1(apps, schema_editor):
    ConsentText = apps.get_model("candidates", "ConsentText")
    Consent = apps.get_model("candidates", "Consent")
    Referral = apps.get_model("relay", "Referral")
    rows = {}
    for (kind, surface, language), (text, note) in VERSION_1.items():
        rows[(kind, surface, language)], _ = ConsentText.objects.get_or_create(
            kind=kind,
            surface=surface,
            language=language,
            version=1,
            defaults={"text": text, "note": note, "sha256": _digest(text, note)},
        )
    surfaces = {"web": "registration", "mypage": "mypage"}
    for consent in Consent.objects.filter(created_at__gte=WORDINGS_KNOWN_SINCE, consent_text__isnull=True):
        row = rows.get((consent.kind, surfaces.get(consent.channel, ""), "ja"))
        if row is None:
            continue
        company = ""
        if "%(company)s" in row.text:
            referral = Referral.objects.filter(candidate_id=consent.candidate_id).select_related("company").first()
            company = referral.company.name if referral else ""
        label = row.text.replace("%(company)s", company or FALLBACK_COMPANY["ja"])
        Consent.objects.filter(pk=consent.pk).update(
            consent_text=row, wording=f"{label}\n{row.note}" if row.note else label
        )


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0006_canonical_email_and_erased_identity'),
        ('relay', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='consent',
            name='wording',
            field=models.TextField(blank=True, verbose_name='同意した文言'),
        ),
        migrations.CreateModel(
            name='ConsentText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('service', '利用規約・個人情報の取扱いへの同意と、ご紹介のための導入企業へのプロフィール提供'), ('rechallenge', '不採用となった企業からの再チャレンジのご案内'), ('newsletter', 'キャリアリレーからのお知らせ・求人情報メール'), ('share_with_company', 'ご登録いただいたことを、ご案内元の企業に知らせること')], max_length=20)),
                ('surface', models.CharField(choices=[('registration', '登録フォーム'), ('mypage', 'マイページの同意の設定')], max_length=20)),
                ('language', models.CharField(max_length=10)),
                ('version', models.PositiveIntegerField()),
                ('text', models.TextField(verbose_name='文言')),
                ('note', models.TextField(blank=True, verbose_name='補足の文言')),
                ('sha256', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': '同意の文言',
                'ordering': ['kind', 'surface', 'language', '-version'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'surface', 'language', 'version'), name='consent_text_one_version_per_wording')],
            },
        ),
        migrations.AddField(
            model_name='consent',
            name='consent_text',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='consents', to='candidates.consenttext'),
        ),
        migrations.RunPython(create_version_1, migrations.RunPython.noop),
    ]
