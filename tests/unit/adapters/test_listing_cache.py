"""The listed-prompt cache: its byte budget, its eviction order and its project check."""

from __future__ import annotations

import pytest

from promptlab.adapters.sqlalchemy.listing_cache import ListedPromptCache, entry_size
from promptlab.application.ports.prompts import ListedPrompt


def item(number: int, text_length: int = 10) -> ListedPrompt:
    return ListedPrompt(
        id=f"00000000-0000-0000-0000-{number:012d}",
        name=None,
        messages_json='[{"role":"user","content":"' + "x" * text_length + '"}]',
        variables_json="[]",
        parent_id=None,
        created_by=None,
        created_at="2026-12-05T01:02:03Z",
    )


def test_page_needs_every_key() -> None:
    cache = ListedPromptCache(max_bytes=100_000)
    cache.put("a", 1, item(1))
    cache.put("b", 1, item(2))

    assert cache.page(["b", "a"], project=1) == [item(2), item(1)]
    assert cache.page(["b", "c"], project=1) is None
    assert cache.page([], project=2) == []


def test_prompt_of_another_project_makes_the_page_empty() -> None:
    """A session's prompts all belong to its project, so one of another project settles it."""
    cache = ListedPromptCache(max_bytes=100_000)
    cache.put("a", 1, item(1))

    assert cache.page(["a"], project=2) == []
    assert cache.page(["a", "missing"], project=2) == []


def test_oldest_entry_goes_first() -> None:
    size = entry_size(item(0))
    cache = ListedPromptCache(max_bytes=size * 8 * 3)  # an entry fits in an eighth
    for number in range(3 * 8):
        cache.put(number, 1, item(number))
    assert len(cache) == 24

    # Reading 0 does not keep it: the next entry still drops it, the oldest.
    assert cache.page([0], project=1) == [item(0)]
    cache.put("new", 1, item(99))

    assert cache.page([0], project=1) is None
    assert cache.page([1, 2, "new"], project=1) is not None
    assert cache.size_bytes <= cache.max_bytes


def test_entries_larger_than_an_eighth_are_not_kept() -> None:
    cache = ListedPromptCache(max_bytes=8 * 1024)
    cache.put("huge", 1, item(1, text_length=2000))

    assert len(cache) == 0
    assert cache.page(["huge"], project=1) is None


def test_putting_a_key_again_replaces_its_size() -> None:
    cache = ListedPromptCache(max_bytes=100_000)
    cache.put("a", 1, item(1, text_length=10))
    cache.put("a", 1, item(1, text_length=500))

    assert len(cache) == 1
    assert cache.size_bytes == entry_size(item(1, text_length=500))


def test_negative_budget_rejected() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        ListedPromptCache(max_bytes=-1)


def test_size_counts_wide_characters() -> None:
    ascii_text = ListedPrompt("id", None, "x" * 4000, "[]", None, None, "t")
    emoji_text = ListedPrompt("id", None, "\U0001f600" * 4000, "[]", None, None, "t")

    assert entry_size(emoji_text) - entry_size(ascii_text) >= 3 * 4000
