"""The cached replacements behave exactly like Rasa's originals."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events
from rasa.shared.utils.common import all_subclasses

from bot import rasa_speedups


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    rasa_speedups.apply()
    rasa_speedups.apply()  # idempotent


def _original_resolve(type_name: str) -> type:
    return next(cls for cls in all_subclasses(events.Event) if cls.type_name == type_name)


def test_every_event_type_resolves_to_the_same_class_as_before() -> None:
    names = {cls.type_name for cls in all_subclasses(events.Event)}
    assert len(names) > 20
    for name in names:
        assert events.Event.resolve_by_type(name) is _original_resolve(name)


def test_unknown_event_types_keep_rasas_behaviour() -> None:
    assert events.Event.resolve_by_type("topic") is None
    assert events.Event.resolve_by_type("no-such-event", default=events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        events.Event.resolve_by_type("no-such-event")


def test_event_subclass_defined_later_is_found() -> None:
    class LateEvent(events.ActionExecuted):
        type_name = "late_event_for_test"

    assert events.Event.resolve_by_type("late_event_for_test") is LateEvent


def test_action_responses_are_validated_as_before() -> None:
    action = RemoteAction("action_x", None)
    ok = {"events": [{"event": "slot", "name": "city", "value": "杭州"}], "responses": [{"text": "好的"}]}
    assert action._validate_action_result(ok) is True
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": 5}], "responses": []})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": "not a list"})
