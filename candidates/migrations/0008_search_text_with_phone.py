"""Candidates' search column gains the phone's digits (the CRM finds people by phone in any format).

The column as `Candidate.refresh_search_text` composed it when this migration was written."""

from django.db import migrations

from lib.jatext import format_phone_national, phone_digits, search_key


def refresh_search_text(apps, schema_editor):  # type: ignore[no-untyped-def]
    Candidate = apps.get_model("candidates", "Candidate")
    fields = ("name", "furigana", "email", "phone", "skills", "career_summary")
    batch = []
    for candidate in Candidate.objects.only("pk", *fields).iterator(chunk_size=2000):
        candidate.search_text = search_key(
            " ".join(
                [
                    candidate.name,
                    candidate.name.replace(" ", ""),
                    candidate.furigana,
                    candidate.furigana.replace(" ", ""),
                    candidate.email,
                    phone_digits(format_phone_national(candidate.phone)) if candidate.phone else "",
                    candidate.skills,
                    candidate.career_summary,
                ]
            )
        )
        batch.append(candidate)
        if len(batch) == 2000:
            Candidate.objects.bulk_update(batch, ["search_text"])
            batch = []
    Candidate.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("candidates", "0007_consent_texts")]

    operations = [migrations.RunPython(refresh_search_text, migrations.RunPython.noop)]
