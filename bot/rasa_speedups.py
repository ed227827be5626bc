"""Two hot spots of Rasa 3.6's message loop, replaced by cached equivalents (same results, same errors).

Measured by profiling the server on held-out messages (README "Speed"): a message that runs a custom action
spent ~25 ms in ``jsonschema.validate`` re-checking the *schema* of the action server's response against the
meta-schema before checking the response, and every event read back from the tracker store walked the whole
``Event`` class tree to find its class. :func:`apply` installs:

* a response validator compiled once per process (the schema is a constant);
* an ``Event.resolve_by_type`` that looks the type name up in a dict, rebuilt when a name is missing (so an
  ``Event`` subclass imported later is still found, exactly as before).

Called when the Rasa server loads the model's custom components (:mod:`bot.tokenizer`); idempotent.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core import events as events_module
    from rasa.shared.utils.common import all_subclasses

    validator_cls = validators.validator_for(RemoteAction.action_response_format_spec())
    response_validator = validator_cls(RemoteAction.action_response_format_spec())
    original_validate = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            response_validator.validate(result)
            return True
        except ValidationError:
            return bool(original_validate(self, result))  # same message and exception as Rasa's

    by_type: Dict[str, Type[Any]] = {}

    def resolve_by_type(type_name: str, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
        if type_name not in by_type:
            by_type.clear()
            for cls in reversed(all_subclasses(events_module.Event)):
                by_type[cls.type_name] = cls  # the first subclass in Rasa's order wins, as in Rasa
        if type_name in by_type:
            return by_type[type_name]
        if type_name == "topic":
            return None
        if default is not None:
            return default
        raise ValueError(f"Unknown event name '{type_name}'.")

    RemoteAction._validate_action_result = _validate_action_result
    events_module.Event.resolve_by_type = staticmethod(resolve_by_type)
    _applied = True
