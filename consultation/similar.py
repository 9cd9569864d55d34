"""Duplicate suggestions for short Chinese titles: characters and bigrams, and the same of pinyin syllables so
that a homophone typed by a pinyin keyboard (停车南 for 停车难) still finds the matter. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pypinyin import Style, lazy_pinyin

# Words that carry no meaning in a complaint's title; dropping them keeps "关于…的问题" from matching everything.
_NOISE = ("关于", "问题", "建议", "反映", "希望", "请求", "一下", "小区", "社区", "的", "了", "吗", "呢")


def _clean(text: str) -> str:
    text = "".join(ch for ch in (text or "").lower() if ch.isalnum())
    for word in _NOISE:
        text = text.replace(word, "")
    return text


def pinyin_syllables(text: str) -> list[str]:
    return [s for s in lazy_pinyin(_clean(text), style=Style.NORMAL, errors="ignore") if s]


def _grams(items: Sequence[str]) -> set[tuple[str, ...]]:
    """Single items and neighbouring pairs: short titles share few pairs, so single characters count too."""
    return {(item,) for item in items} | {tuple(items[i : i + 2]) for i in range(len(items) - 1)}


def _dice(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(title: str, other_title: str, other_pinyin: str | None = None) -> float:
    """0–1: the better of the Dice coefficients of character n-grams (1–2) and of pinyin-syllable n-grams."""
    chars = _dice(_grams(list(_clean(title))), _grams(list(_clean(other_title))))
    theirs = other_pinyin.split() if other_pinyin is not None else pinyin_syllables(other_title)
    sounds = _dice(_grams(pinyin_syllables(title)), _grams(theirs))
    return max(chars, sounds)


def rank_similar(
    title: str, candidates: Iterable[tuple[int, str, str]], *, threshold: float = 0.4, limit: int = 5
) -> list[tuple[int, float]]:
    """(id, score) of the candidates (id, title, title_pinyin) at least `threshold` alike, best first."""
    if len(_clean(title)) < 2:
        return []
    scored = [(pk, similarity(title, other, pinyin)) for pk, other, pinyin in candidates]
    scored = [(pk, score) for pk, score in scored if score >= threshold]
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:limit]
