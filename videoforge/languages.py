"""Language tags of caption tracks: the strict BCP 47 form we take (language[-Script][-REGION]), in canonical case,
and the names common languages give themselves, for a track's default label.

Strict on purpose: the tag goes into HLS playlists (`LANGUAGE="..."`), player menus and URLs, so it is a short run
of letters and digits, never extensions, private use (`x-...`) or grandfathered forms.
"""

from __future__ import annotations

import re

LABEL_MAX_LENGTH = 100
"""Longest track label: what a player's menu shows beside the language."""
UNQUOTABLE = re.compile(r'["\x00-\x1f\x7f-\x9f\u2028\u2029]')
"""What a label may not hold: it goes into HLS quoted strings (NAME="..."), which end at a quote and may hold no line
break or other control character (RFC 8216 4.2). The gallery refuses such labels; streaming strips them regardless."""

_TAG = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?")

OWN_NAMES = {
    "ar": "العربية", "bg": "Български", "bn": "বাংলা", "ca": "Català", "cs": "Čeština", "cy": "Cymraeg",
    "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά", "en": "English", "en-GB": "English (UK)",
    "en-US": "English (US)", "es": "Español", "es-419": "Español (Latinoamérica)", "es-ES": "Español (España)",
    "es-MX": "Español (México)", "et": "Eesti", "eu": "Euskara", "fa": "فارسی", "fi": "Suomi", "fr": "Français",
    "fr-CA": "Français (Canada)", "ga": "Gaeilge", "gl": "Galego", "he": "עברית", "hi": "हिन्दी", "hr": "Hrvatski",
    "hu": "Magyar", "id": "Bahasa Indonesia", "is": "Íslenska", "it": "Italiano", "ja": "日本語", "ko": "한국어",
    "lt": "Lietuvių", "lv": "Latviešu", "ms": "Bahasa Melayu", "nb": "Norsk bokmål", "nl": "Nederlands",
    "nn": "Norsk nynorsk", "no": "Norsk", "pl": "Polski", "pt": "Português", "pt-BR": "Português (Brasil)",
    "pt-PT": "Português (Portugal)", "ro": "Română", "ru": "Русский", "sk": "Slovenčina", "sl": "Slovenščina",
    "sr": "Српски", "sv": "Svenska", "sw": "Kiswahili", "ta": "தமிழ்", "th": "ไทย", "tr": "Türkçe",
    "uk": "Українська", "ur": "اردو", "vi": "Tiếng Việt", "zh": "中文", "zh-Hans": "中文 (简体)",
    "zh-Hant": "中文 (繁體)", "zh-CN": "中文 (中国)", "zh-TW": "中文 (台灣)", "zh-HK": "中文 (香港)",
}
"""A small table, not a locale database: other tags are labelled with the tag itself until the owner names them."""


def canonical_tag(tag: str) -> str | None:
    """`tag` in canonical case (`pt-br` → `pt-BR`, `ZH-HANT` → `zh-Hant`), or None when it is not
    language[-Script][-REGION]."""
    match = _TAG.fullmatch(tag or "")
    if match is None:
        return None
    language, script, region = match.groups()
    return "-".join(part for part in (language.lower(), script and script.title(), region and region.upper())
                    if part)


def own_name(tag: str) -> str:
    """What the language calls itself, most specific first (`pt-BR`, then `pt`), else the tag."""
    language, _, rest = tag.partition("-")
    script = rest.split("-")[0] if len(rest.split("-")[0]) == 4 else None
    for candidate in (tag, f"{language}-{script}" if script else None, language):
        if candidate and candidate in OWN_NAMES:
            return OWN_NAMES[candidate]
    return tag
