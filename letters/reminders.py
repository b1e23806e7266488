"""What the daily reminder of unsigned letters remembers, in the cache (no model): which letters
were reminded on a day, so that a second run that day reminds nobody, and when each letter was
last reminded, for the in-app notice. letters.tasks.remind_unsigned writes it and
letters.selectors.letters_waiting reads it, so the import between those two goes one way only
(tasks → selectors)."""

from django.core.cache import cache

# Claimed (cache.add) when a letter is reminded on a day: the claim makes a second run that day
# a no-op. Kept two days so it outlives the day it guards in every time zone.
REMINDED_ON_KEY = "letters:reminded:{letter}:{day}"
REMINDED_ON_TTL = 2 * 24 * 3600
# When a letter was last reminded, for the in-app notice (letters.selectors.letters_waiting).
LAST_REMINDED_KEY = "letters:last-reminded:{letter}"
LAST_REMINDED_TTL = 60 * 24 * 3600


def reminder_claim(letter_id: int, *, day: str, at: str) -> bool:
    """Claim the reminder of a letter on a day (ISO date); False if it was claimed already."""
    return cache.add(REMINDED_ON_KEY.format(letter=letter_id, day=day), at, REMINDED_ON_TTL)


def reminder_claim_release(letter_id: int, *, day: str) -> None:
    """Give the day's claim back (the reminder failed), so that a retry reminds it again."""
    cache.delete(REMINDED_ON_KEY.format(letter=letter_id, day=day))


def reminded_record(letter_id: int, *, at: str) -> None:
    """Remember when the letter was reminded (ISO time), for the in-app notice."""
    cache.set(LAST_REMINDED_KEY.format(letter=letter_id), at, LAST_REMINDED_TTL)


def last_reminded(letter_ids: list[int]) -> dict[int, str]:
    """{letter id: ISO time of its last reminder} for the letters reminded recently."""
    keys = {LAST_REMINDED_KEY.format(letter=pk): pk for pk in letter_ids}
    return {keys[k]: v for k, v in cache.get_many(list(keys)).items()} if keys else {}
