"""Which premises a declaration may cite: ReProver's accessibility filter.

A premise is accessible from a theorem when its module is imported by the theorem's
file, directly or transitively, or when it sits earlier in the same file. Premises the
corpus gives no module for are accessible from everywhere, and a corpus with no module
information at all makes the filter a no-op.

`accessible_from` takes two forms:

* a Lean header (any text with `import`, `open`, `set_option`… lines): the premises of
  the imported modules and everything they import, plus `Init` unless the header
  says `prelude`. Imports the corpus does not know are ignored, but a header none of
  whose imports is known is an error: the corpus describes a different library.
* a location `Module.Name` or `path/File.lean`, optionally `:line[:column]`. Without a
  position it means "a file that imports this module" (the module's own premises
  included); with one it means "a declaration at that position of that file": the
  file's imports plus the premises of the file that end at or before the position.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Iterable

import numpy as np

from retrieval.corpus import Corpus, module_from_path
from retrieval.errors import UnknownModuleError
from retrieval.records import Position

_HEADER_LINE = re.compile(
    r"^\s*(?:import|open|set_option|namespace|section|universe|variable|noncomputable|"
    r"prelude|module|public|private|meta|attribute|local|scoped)\b",
    re.MULTILINE,
)
_IMPORT_LINE = re.compile(
    r"^\s*(?:public\s+|private\s+)?(?:meta\s+)?import\s+(?:all\s+)?([^\n]*)", re.MULTILINE
)
_LOCATION = re.compile(r"^(?P<target>[^:]+?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?$")
_CACHE_SIZE = 128
_NO_MODULE = 0  # module slot for premises without a module: visible from everywhere


class Accessibility:
    """Boolean masks over a corpus' premises (in index order), cached per `accessible_from`."""

    def __init__(self, corpus: Corpus) -> None:
        modules = corpus.modules
        self._slot = {module: slot for slot, module in enumerate(modules, start=1)}
        self._imports: list[tuple[int, ...]] = [()] * (len(modules) + 1)
        for module, imported in corpus.imports.items():
            self._imports[self._slot[module]] = tuple(
                self._slot[m] for m in imported if m in self._slot
            )
        self._paths = {p.path: p.module for p in corpus.premises if p.path and p.module}
        self._premise_slot = np.array(
            [self._slot[p.module] if p.module else _NO_MODULE for p in corpus.premises],
            dtype=np.int32,
        )
        ends = [p.end or p.start or (-1, -1) for p in corpus.premises]
        self._end_line = np.array([e[0] for e in ends], dtype=np.int64)
        self._end_column = np.array([e[1] for e in ends], dtype=np.int64)
        self.enabled = bool(modules)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def module_count(self) -> int:
        return len(self._slot)

    def mask(self, accessible_from: str | None) -> np.ndarray | None:
        """True for each accessible premise; None when everything is accessible."""
        if accessible_from is None or not self.enabled:
            return None
        cached = self._cache.get(accessible_from)
        if cached is not None:
            self._cache.move_to_end(accessible_from)
            return cached
        mask = self._compute(accessible_from)
        self._cache[accessible_from] = mask
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return mask

    def _compute(self, accessible_from: str) -> np.ndarray:
        if _HEADER_LINE.search(accessible_from):
            return self._visible(self._header_roots(accessible_from))
        target, position = self._location(accessible_from)
        if position is None:
            return self._visible([target])
        mask = self._visible(self._imports[target])
        before = (self._end_line >= 0) & (
            (self._end_line < position[0])
            | ((self._end_line == position[0]) & (self._end_column <= position[1]))
        )
        return mask | ((self._premise_slot == target) & before)

    def _visible(self, roots: Iterable[int]) -> np.ndarray:
        table = np.zeros(len(self._imports), dtype=bool)
        table[_NO_MODULE] = True
        queue = deque(roots)
        while queue:
            slot = queue.popleft()
            if not table[slot]:
                table[slot] = True
                queue.extend(self._imports[slot])
        return table[self._premise_slot]

    def _header_roots(self, header: str) -> list[int]:
        named = [
            token
            for line in _IMPORT_LINE.findall(header)
            for token in line.split("--", 1)[0].split()
        ]
        known = [self._slot[m] for m in named if m in self._slot]
        if named and not known:
            raise UnknownModuleError(
                f"None of the header's imports ({', '.join(named)}) is a module of this "
                "corpus, so the premises it can see are unknown; pass no accessible_from, "
                "or use a corpus dumped from the same library."
            )
        prelude = re.search(r"^\s*prelude\b", header, re.MULTILINE) is not None
        if not prelude and "Init" in self._slot:
            known.append(self._slot["Init"])
        return known

    def _location(self, text: str) -> tuple[int, Position | None]:
        match = _LOCATION.match(text.strip())
        target = match.group("target") if match else text.strip()
        module = target if target in self._slot else self._paths.get(target)
        if module is None and target.endswith(".lean"):
            module = module_from_path(target)
        if module not in self._slot:
            raise UnknownModuleError(
                f"'{target}' is neither a module nor a file of this corpus "
                "(accessible_from takes a Lean header, or Module.Name[:line[:column]])."
            )
        slot = self._slot[module]
        if match is None or match.group("line") is None:
            return slot, None
        return slot, (int(match.group("line")), int(match.group("column") or 0))
