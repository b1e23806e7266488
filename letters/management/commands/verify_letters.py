"""`manage.py verify_letters`: check every signed letter's stored content against the SHA-256
frozen at signing; exit non-zero naming each letter that no longer matches."""

from django.core.management.base import BaseCommand, CommandError

from letters.models import Letter
from letters.services import letter_verify


class Command(BaseCommand):
    help = "Verify every signed target responsibility letter against its frozen SHA-256."

    def handle(self, *args, **options):
        signed = Letter.objects.exclude(content_sha256="").select_related("scheme", "institution")
        broken = []
        checked = 0
        for letter in signed.iterator(chunk_size=500):
            checked += 1
            if not letter_verify(letter):
                broken.append(letter)
                self.stderr.write(
                    f"#{letter.pk} {letter.scheme.year} {letter.institution.code} "
                    f"{letter.get_level_display()} {letter.holder_name} v{letter.version}: "
                    f"stored content does not match its SHA-256 {letter.content_sha256}"
                )
        if broken:
            raise CommandError(
                f"{len(broken)} of {checked} signed letters do not match their hash."
            )
        self.stdout.write(self.style.SUCCESS(f"{checked} signed letters verified."))
