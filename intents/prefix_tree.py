"""Words (strings or tuples of syllables) found in a text in one walk: the keyword and slot-name index."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from intents.normalize import Normalized


class PrefixTree:
    """Words (strings, or tuples of syllables) and their values. find_all walks the text once, down
    the tree from each position, instead of one search per word."""

    def __init__(self) -> None:
        self._root: dict = {}

    def add(self, word, value) -> None:
        node = self._root
        for unit in word:
            node = node.setdefault(unit, {})
        node.setdefault(None, []).append(value)   # None: a word ends here (units are never None)

    def find_all(self, seq) -> list[tuple[int, object, int]]:
        """(start, value, end) of every word in seq, overlapping ones included: by start, shorter first."""
        out, root, n = [], self._root, len(seq)
        for i in range(n):
            node = root.get(seq[i])
            j = i + 1
            while node is not None:
                ends = node.get(None)
                if ends:
                    for value in ends:
                        out.append((i, value, j))
                if j == n:
                    break
                node = node.get(seq[j])
                j += 1
        return out


class SharedIndex:
    """The words of several owners (the matcher's keywords, each slot lexicon's names and stop words) in
    one PrefixTree, so a message is walked once for all of them instead of once per owner. `sequence`
    picks what is walked: the normalized text or its syllables."""

    def __init__(self, sequence: Callable[[Normalized], Sequence]) -> None:
        self._tree = PrefixTree()
        self._sequence = sequence
        self._owners = 0

    def part(self) -> "IndexPart":
        """A new owner's share of the index: its own words, found in the shared walk."""
        self._owners += 1
        return IndexPart(self, self._owners - 1)

    def found_in(self, norm: Normalized) -> list[list[tuple[int, object, int]]]:
        """Each owner's (start, value, end), as its own PrefixTree would give them; walked once per message."""
        found = norm.walks.get(self)
        if found is None:
            found = [[] for _ in range(self._owners)]
            for i, (owner, value), j in self._tree.find_all(self._sequence(norm)):
                found[owner].append((i, value, j))
            norm.walks[self] = found
        return found


class IndexPart:
    def __init__(self, index: SharedIndex, owner: int) -> None:
        self._index = index
        self._owner = owner

    def add(self, word, value) -> None:
        self._index._tree.add(word, (self._owner, value))

    def find_all(self, norm: Normalized) -> list[tuple[int, object, int]]:
        return self._index.found_in(norm)[self._owner]


def text_index() -> SharedIndex:
    return SharedIndex(lambda norm: norm.text)


def syllable_index() -> SharedIndex:
    return SharedIndex(lambda norm: norm.syllables.tokens)
