"""Prompts in their list form, kept in each process, because a written prompt never changes.

promptlab never updates or deletes a prompt row, and never deletes the user
or prompt that its author and parent columns point at, so a prompt's list
form stays true for as long as the row exists. A list then reads only the
ids of the page from the index on (session_id, created_at, id), without
touching the table, and takes each prompt from here. One missing prompt
sends the page to the full query, whose rows fill the cache.

Each process has its own cache; with nothing to invalidate, workers and
machines need no coordination. Editing a prompt row by hand while a server
runs would leave that server listing the old text until it restarts.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Sequence

from promptlab.application.ports.prompts import ListedPrompt

# Counted per entry besides its name, messages and variables: the key, the
# tuple, its other fields' strings and the dictionary's slot. About 580
# bytes for a prompt with an author and no parent (sys.getsizeof and
# tracemalloc, CPython 3.11).
ENTRY_OVERHEAD_BYTES = 600


def entry_size(item: ListedPrompt) -> int:
    """Return the bytes an entry holds, its text measured as CPython stores it.

    CPython stores a string in one, two or four bytes per character, by its
    widest character, so a prompt of emoji takes four times the memory of
    one of ASCII letters of the same length.
    """
    size = ENTRY_OVERHEAD_BYTES + sys.getsizeof(item.messages_json)
    size += sys.getsizeof(item.variables_json)
    if item.name is not None:
        size += sys.getsizeof(item.name)
    return size


class ListedPromptCache:
    """At most `max_bytes` of listed prompts, the oldest dropped first.

    Keys are the prompt's id in the form the id query returns, and each entry
    remembers the project it was listed in, so a session reached through the
    wrong project cannot list from the cache. A prompt larger than an eighth
    of the budget is not kept, so one huge prompt cannot push out a page of
    ordinary ones. `max_bytes` of 0 turns the cache off.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be 0 or more, got {max_bytes}")
        self.max_bytes = max_bytes
        self._largest_entry = max_bytes // 8
        self._entries: OrderedDict[object, tuple[object, ListedPrompt, int]] = OrderedDict()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def page(self, keys: Sequence[object], project: object) -> list[ListedPrompt] | None:
        """Return the prompts of `keys` in order, or None when one of them is not here.

        The keys are one session's prompts, and a session belongs to one
        project. So when a kept prompt belongs to another project than
        `project`, the session is not in `project` and the page is empty.
        """
        entries = self._entries
        found = []
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                return None
            if entry[0] != project:
                return []
            found.append(entry[1])
        return found

    def put(self, key: object, project: object, item: ListedPrompt) -> None:
        size = entry_size(item)
        if size > self._largest_entry:
            return
        entries = self._entries
        previous = entries.pop(key, None)
        if previous is not None:
            self._bytes -= previous[2]
        entries[key] = (project, item, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, _, dropped) = entries.popitem(last=False)
            self._bytes -= dropped
