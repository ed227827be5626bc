"""Where a workload's CPU goes, by stage: the functions that enter a stage (``Session.execute``, ``mask_pii``,
an NLU component's graph node ...) are wrapped with a clock, and the time between entering and leaving the
*outermost* wrapped call is that stage's (a DB call made while masking counts as masking: nothing is counted
twice, which cProfile's per-edge cumulative times cannot give once code re-enters a stage through a callback).
Stdlib only and Python 3.10-compatible: the Rasa-side profile (bench/rasa_cost.py) runs in the Rasa venv.

The clock is ``time.thread_time``: CPU of the thread doing the work (the event loop's), so an awaited network
reply or a disk flush costs nothing, which is what "how much CPU does a message take" asks. Workloads are
sequential (one message at a time), so an async stage's span holds only its own work.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

Label = Union[str, Callable[..., str]]


class StageClock:
    """CPU per stage, the outermost stage owning nested work; ``wrap`` an entry point, read ``ms_per``."""

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self.clock = clock
        self.seconds: Dict[str, float] = defaultdict(float)
        self.calls: Dict[str, int] = defaultdict(int)
        self._owner: Optional[str] = None
        self._started = 0.0
        self.enabled = True

    def _enter(self, label: str) -> bool:
        if not self.enabled or self._owner is not None:
            return False
        self._owner, self._started = label, self.clock()
        return True

    def _leave(self, label: str) -> None:
        self.seconds[label] += self.clock() - self._started
        self.calls[label] += 1
        self._owner = None

    def wrap(self, label: Label, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` (sync or async) timed as ``label`` (or ``label(*args)``) when no other stage is running."""
        def name(args: Tuple[Any, ...]) -> str:
            return label if isinstance(label, str) else label(*args)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                stage = name(args)
                mine = self._enter(stage)
                try:
                    return await fn(*args, **kwargs)
                finally:
                    if mine:
                        self._leave(stage)
            return timed_async

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stage = name(args)
            mine = self._enter(stage)
            try:
                return fn(*args, **kwargs)
            finally:
                if mine:
                    self._leave(stage)
        return timed

    def patch(self, label: Label, owner: Any, *names: str) -> None:
        """Wrap ``owner.<name>`` (a class's method, static method or a module's function) in place, for each
        name ``owner`` itself defines."""
        for attribute in names:
            found = vars(owner).get(attribute)
            if isinstance(found, staticmethod):
                setattr(owner, attribute, staticmethod(self.wrap(label, found.__func__)))
            elif callable(found):
                setattr(owner, attribute, self.wrap(label, found))

    def ms_per(self, messages: int) -> List[Tuple[str, float]]:
        """(stage, CPU ms per message), largest first."""
        return sorted(((label, s * 1000 / max(1, messages)) for label, s in self.seconds.items()),
                      key=lambda row: -row[1])
