"""Words (strings or tuples of syllables) found in a text in one walk: the keyword and slot-name index."""
from __future__ import annotations


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
