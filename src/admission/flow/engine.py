"""The only module that touches durable-rules.

Each flow revision compiles into two rulesets, registered once per process under names that
carry the revision (rulesets cannot be unregistered):
- `g_<flow>_<rev>`: one rule per guard; a fact carrying `_transition` and the step's facts that
  transition's guards read fires each guard whose condition holds; the action records the
  guard's id.
- `c_<flow>_<rev>$state`: the statechart of the flow.  A synthetic start state reaches every
  state with an `x_goto` event, so the current state is restored from SQL (the only source of
  truth) instead of from saved pending events; then the step's action event is posted.

Following docs in ../shared/notes/durable-rules.md: no engine background threads (a Host whose
`_run` does nothing), one unique sid per call, state deleted right after each call (restore →
post → read → evict), a transition's existence is checked before posting (the engine would store
an event it cannot use and fire it later), values are coerced before posting (the engine
compares mixed types as strings), and exceptions inside actions are read from the state.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from durable import engine as _engine

from ..language.flow import Flow
from ..language.expr import check_condition, encode_value, fact_names, to_durable
from ..language.facts import FACTS

_LOCK = threading.Lock()  # the C core has no locks; calls are microseconds, serialise them
_SIDS = itertools.count(1)


class EngineError(RuntimeError):
    """The rules engine failed (an exception in an action, an unexpected engine error)."""


class _QuietHost(_engine.Host):
    """A Host without its timer threads (they segfault with eviction; see the notes)."""

    def _run(self):  # noqa: D401 - engine hook
        return None


@dataclass(frozen=True)
class CompiledFlow:
    flow: Flow
    revision: str
    guard_ruleset: str
    chart_ruleset: str
    guard_index: dict[str, tuple[str, int]]  # rule name -> (action, guard position)
    reads: tuple[frozenset[str], ...]  # per transition: the facts its guards read


class FlowEngine:
    """Evaluates guards and moves statecharts for any number of flow revisions."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._compiled: dict[tuple[str, str], CompiledFlow] = {}
        # Answers already worked out by the engine.  A ruleset is fixed once registered and its
        # rules read only the posted fact, so the guards that fire are a function of (ruleset,
        # transition, the facts posted), and a move of (chart, state, transition): each is asked
        # of durable-rules once and reused (bounded; a full table starts again).
        self._fired: dict[tuple, list[int]] = {}
        self._moved: dict[tuple, str] = {}

    def compile(self, flow: Flow, revision: str) -> CompiledFlow:
        key = (flow.id, revision)
        with _LOCK:
            found = self._compiled.get(key)
            if found is not None:
                return found
            compiled = self._register(flow, revision)
            self._compiled[key] = compiled
            return compiled

    def _register(self, flow: Flow, revision: str) -> CompiledFlow:
        safe = "".join(ch if ch.isalnum() else "_" for ch in flow.id)
        g_name = f"g_{safe}_{revision}"
        c_name = f"c_{safe}_{revision}"  # registered as `<name>$state`, posted to as `<name>`
        rules: dict = {}
        guard_index: dict[str, tuple[str, int]] = {}
        reads: list[frozenset[str]] = []
        for ti, t in enumerate(flow.transitions):
            names: set[str] = set()
            for gi, guard in enumerate(t.guards):
                node = check_condition(guard.when, FACTS)
                names |= fact_names(node)
                name = f"r{ti}_{gi}"
                guard_index[name] = (t.action, gi)
                cond = {"$and": [{"_transition": f"{ti}"}, to_durable(node)]}
                rules[name] = {"all": [{"m": cond}], "run": _recorder(name)}
            reads.append(frozenset(names))
        # Every fact must be handled by some rule: deleting the state of a sid whose message no
        # rule matched segfaults durable-rules 2.0.28 (found here; reproduced in 3 of 3 runs).
        rules["z_always"] = {"all": [{"m": {"_always": 1}}], "run": _noop}
        chart: dict = {"x_start": {}}
        for s in flow.states:
            chart["x_start"][f"goto_{s.id}"] = {"all": [{"m": {"x_goto": s.id}}], "to": s.id, "run": _status(s.id)}
            chart.setdefault(s.id, {})
        for ti, t in enumerate(flow.transitions):
            for src in t.source:
                chart[src][f"t{ti}"] = {"all": [{"m": {"x_step": f"{ti}"}}], "to": t.to, "run": _status(t.to)}
        self._host.set_rulesets({f"{c_name}$state": chart, g_name: rules})
        return CompiledFlow(flow, revision, g_name, c_name, guard_index, tuple(reads))

    def fired_guards(self, compiled: CompiledFlow, transition_index: int, facts: dict) -> list[int]:
        """Positions of the guards of one transition whose conditions hold for `facts`.  The fact
        posted carries the facts those guards read (every rule of the ruleset tests
        `_transition` first, so no other fact can make any of them fire); each must be given."""
        if not compiled.flow.transitions[transition_index].guards:
            return []
        message = {name: encode_value(FACTS[name].type, facts[name]) for name in compiled.reads[transition_index]}
        key = (compiled.guard_ruleset, transition_index, *message.items())
        known = self._fired.get(key)
        if known is not None:
            return list(known)
        fired = self._fire(compiled, transition_index, message)
        _remember(self._fired, key, fired)
        return list(fired)

    def _fire(self, compiled: CompiledFlow, transition_index: int, message: dict) -> list[int]:
        message["_always"] = 1
        message["_transition"] = f"{transition_index}"
        with _LOCK:
            sid = f"g{next(_SIDS)}"
            message["sid"] = sid
            try:
                self._host.assert_fact(compiled.guard_ruleset, message)
                state = self._host.get_state(compiled.guard_ruleset, sid)
            finally:
                _evict(self._host, compiled.guard_ruleset, sid)
        if state.get("exception"):
            raise EngineError(f"规则引擎执行守卫规则出错：{state['exception']}")
        fired = state.get("fired") or []
        action = compiled.flow.transitions[transition_index].action
        return sorted(compiled.guard_index[name][1] for name in fired
                      if name in compiled.guard_index and compiled.guard_index[name][0] == action)

    def move(self, compiled: CompiledFlow, current: str, transition_index: int) -> str:
        """Run the statechart from `current` through one transition; returns the new state."""
        t = compiled.flow.transitions[transition_index]
        if current not in t.source:  # never post an event the chart cannot use now
            raise EngineError(f"状态 {current} 没有流转 {t.action}")
        key = (compiled.chart_ruleset, current, transition_index)
        known = self._moved.get(key)
        if known is None:
            known = self._move(compiled, current, transition_index)
            _remember(self._moved, key, known)
        return known

    def _move(self, compiled: CompiledFlow, current: str, transition_index: int) -> str:
        t = compiled.flow.transitions[transition_index]
        with _LOCK:
            sid = f"c{next(_SIDS)}"
            try:
                self._host.post(compiled.chart_ruleset, {"sid": sid, "x_goto": current})
                self._host.post(compiled.chart_ruleset, {"sid": sid, "x_step": f"{transition_index}"})
                state = self._host.get_state(compiled.chart_ruleset, sid)
            except _engine.MessageNotHandledException as exc:
                raise EngineError(f"规则引擎拒绝了流转：{exc.message}") from None
            finally:
                _evict(self._host, compiled.chart_ruleset, sid)
        if state.get("exception"):
            raise EngineError(f"规则引擎执行流转出错：{state['exception']}")
        new = state.get("status")
        if new != t.to:
            raise EngineError(f"规则引擎给出的状态 {new!r} 与流程定义 {t.to!r} 不符")
        return new


def _remember(table: dict, key: tuple, value) -> None:
    if len(table) >= _REMEMBERED:
        table.clear()
    table[key] = value


_REMEMBERED = 4096


def _evict(host, ruleset: str, sid: str) -> None:
    try:
        host.delete_state(ruleset, sid)
    except Exception:  # nothing left to delete
        pass


def _recorder(name: str):
    def action(c):
        fired = list(c.s.fired or [])
        fired.append(name)
        c.s.fired = fired

    return action


def _noop(c):
    c.s.seen = 1


def _status(state: str):
    def action(c):
        c.s.status = state

    return action


_ENGINE: list[FlowEngine] = []


def flow_engine() -> FlowEngine:
    """The process's engine, created on first use (after any fork)."""
    if not _ENGINE:
        with _LOCK:
            if not _ENGINE:
                _ENGINE.append(FlowEngine())
    return _ENGINE[0]
