"""Search keys for Chinese names: full pinyin and initials, so `taiji`, `tjq` and `太极` find 太极拳."""

from pypinyin import Style, lazy_pinyin


def pinyin_keys(text: str) -> tuple[str, str]:
    syllables = [s.lower() for s in lazy_pinyin(text or "", style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def normalise_query(query: str) -> str:
    return "".join((query or "").split()).lower()
