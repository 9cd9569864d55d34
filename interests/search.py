"""Search keys for Chinese names: full pinyin and initials, so `taiji`, `tjq` and `太极` find 太极拳."""

import unicodedata

from pypinyin import Style, lazy_pinyin

# Interest names are short; a pasted paragraph is searched by its beginning.
MAX_QUERY = 60


def pinyin_keys(text: str) -> tuple[str, str]:
    syllables = [s.lower() for s in lazy_pinyin(text or "", style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def clean_query(query: str) -> str:
    """What is searchable in what was typed: letters, digits and Chinese characters, single spaces between
    words, at most MAX_QUERY characters. Symbols, punctuation and emoji ("🙂太极") are dropped; full-width
    letters (ｔａｉｊｉ) become ASCII."""
    text = unicodedata.normalize("NFKC", query or "")
    kept = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(kept.split())[:MAX_QUERY]


def normalise_query(query: str) -> str:
    return "".join(clean_query(query).split()).lower()
