"""Bot/KB arbitration (issue 12, finding 1): a weak intent must not beat a knowledge-base answer.

Without this policy the KB is consulted only when the NLU falls back, so any intent above the fallback
threshold (办签证要的那个资产证明去哪开 -> account_open_materials at 0.24) wins over a perfect KB match, and a
trainer's new similar question never changes what the customer gets until the NLU is retrained.

The rule, right after a customer message (``action_listen`` was the last action):

* never when a form is active, or the intent is one that must keep its own handling (safety: secrets and fraud
  scripts; the compliance intents with their fixed wording; handoff; affirm/deny/inform and the KB's own
  feedback intents, which only make sense in context; the fallback intents, which already go to the KB; and a
  confident form-starting intent, whose form answers for the customer's own card / city / channel);
* except a safety or compliance intent the classifier alone gave (no rule of bot/safety_guard.py matched:
  ``safety_rule`` absent) below ``weak_threshold``: such a message is weighed against the KB too, and the
  action lets only a KB *answer* replace the fixed reply (我买的股票停牌了钱会不会拿不回来 -> investment_advice
  at 0.58, while the KB answers 股票停牌了怎么办 with 0.97) — never a suggestion, never against a rule;
* otherwise predict ``action_kb_arbitrate`` when the intent is *weak* (confidence below ``weak_threshold``,
  chosen on the held-out NLU data, below), when the normalised message is exactly one of the questions of the KB
  version in service (so a trainer's new similar question takes effect at once), or when the message has words
  the intent was never trained on (``novel_terms``, bot/novel_terms.py: 逆回购 in a message classified
  stock_account_open) — there the KB's reply wins only if the question it matched contains one of them;
* or when a confident ordinary intent (not one that starts a form) shares less than ``support_check`` of the
  message's wording with its nearest training example (``intent_support``, bot/novel_terms.py) and some KB
  question shares more (character bigrams, read here with the exact-match questions, so most confident messages
  never reach the action server): the action offers the KB's questions when the one it matched is closer
  still (``weak_support``; issue 13, follow-up details such as 额度被降 or 活期结息日 next to credit_card_limit /
  deposit_rate).

``action_kb_arbitrate`` (actions/arbitrate.py) answers from the KB when the KB's answer policy says answer, and
otherwise reverts itself (``ActionReverted``) so the normal dialogue runs exactly as it would have. This policy
then predicts ``action_listen`` after a KB answer and abstains once the message has been arbitrated.

The KB questions are read from ``$DATA_DIR/kb/current`` -> ``versions/<v>/questions.json`` (already normalised
by kb_index.index.question_table) and re-read when the version changes: no retraining, no encoder here.

The weak threshold, 0.7, is where the intent becomes as reliable as a direct KB answer. Measured on the held-out
NLU data (nlu_eval/nlu_heldout, 571 examples, model of 2026-12-01): intents predicted below 0.6 are right 79% of
the time (42 of 53), 0.6-0.7 89% (17 of 19), 0.7-0.8 94% (33 of 35), 0.8-0.9 97%, 0.9 and above 99.7%; the KB's
direct answers are right 94% of the time on its leave-one-out questions and 118 of 118 on the held-out customer
messages of this project's KB (nlu_eval/kb_queries.tsv, README "Knowledge base"). Below 0.7 a direct KB answer is
the more likely right one (first set at 0.6 when only the leave-one-out figure was known); it sends about 13% of
messages to the KB check. tests/bot/test_kb_arbitration_policy.py re-measures it on every trained model.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.compliance_rules import COMPLIANCE_INTENTS
from bot.novel_terms import INTENT_SUPPORT, NOVEL_TERMS
from bot.safety_guard import SAFETY_RULE
from common.forms import FORM_INTENTS
from kb_index.normalize import normalise_query
from kb_index.overlap import best_dice, bigrams

log = logging.getLogger(__name__)

ARBITRATE_ACTION = "action_kb_arbitrate"
REASON_SLOT = "kb_arbitration"  # domain.yml: why the KB was consulted, for the action (actions/arbitrate.py)
# intents with a fixed safety/compliance reply: weighed against a confident KB answer only when the classifier
# alone gave them with little confidence (see the module docstring; reason "weak_compliance")
FIXED_REPLY_INTENTS: FrozenSet[str] = frozenset({"share_sensitive_info", "fraud_alert"}) | COMPLIANCE_INTENTS
# intents whose handling must never be replaced by a KB answer (see the module docstring)
PROTECTED_INTENTS: FrozenSet[str] = frozenset({
    "human_handoff", "complaint", "affirm", "deny", "inform", "kb_select", "kb_helpful", "kb_unhelpful",
    "nlu_fallback", "out_of_scope",
}) | FIXED_REPLY_INTENTS
# protected intents that are still asked about when weak (reason "weak_complaint"): a complaint the classifier is
# unsure of (想应聘你们银行的柜员 at 0.29) gets 您是不是想问 with 我要投诉 first - never a KB answer in its place
ASK_WHEN_WEAK: FrozenSet[str] = frozenset({"complaint"})
# a confident form intent (common/forms.py) keeps its form even when the message is also a KB question, since the
# form's answer is specific to the customer's card / city / channel; a weak one may still lose


def arbitration_reason(intent: Optional[str], confidence: Optional[float], text: str, *, active_loop: Optional[str],
                       weak_threshold: float, kb_questions: FrozenSet[str], novel_terms: Sequence[str] = (),
                       safety_rule: Optional[str] = None, protected: FrozenSet[str] = PROTECTED_INTENTS,
                       form_intents: FrozenSet[str] = FORM_INTENTS, intent_support: Optional[float] = None,
                       support_check: float = 0.0,
                       kb_overlap: Optional[Callable[[], float]] = None) -> Optional[str]:
    """Why the KB must be consulted for this message ("weak_intent" / "weak_form_intent": a weak intent that
    starts a form / "kb_exact_match" / "novel_terms" / "weak_compliance": a safety or compliance intent of the
    classifier alone, ``safety_rule`` naming the rule of bot/safety_guard.py that matched, if any /
    "weak_support": a confident ordinary intent whose nearest training example shares less than
    ``support_check`` of the message's wording, ``intent_support`` from bot/novel_terms.py, while some KB question
    shares more, ``kb_overlap()``, asked only when every other condition holds / "weak_complaint": a complaint
    below the weak threshold, which the action asks about but never replaces), or None (pure when ``kb_overlap``
    is)."""
    if active_loop or not intent or re.fullmatch(r"\s*/.*", text or ""):
        return None  # a form is filling, or a button payload (/intent{...})
    if intent in FIXED_REPLY_INTENTS and not safety_rule and confidence is not None and confidence < weak_threshold:
        return "weak_compliance"
    if intent in ASK_WHEN_WEAK and confidence is not None and confidence < weak_threshold:
        return "weak_complaint"  # never replaced by the KB, but asked about (actions/arbitrate.py)
    if intent in protected:
        return None
    if confidence is not None and confidence < weak_threshold:
        return "weak_form_intent" if intent in form_intents else "weak_intent"
    if intent not in form_intents and normalise_query(text) in kb_questions:
        return "kb_exact_match"
    if novel_terms:
        return "novel_terms"  # words the intent was never trained on (bot/novel_terms.py)
    if (intent not in form_intents and intent_support is not None and intent_support < support_check
            and kb_overlap is not None and kb_overlap() > intent_support):
        return "weak_support"
    return None


@dataclass
class KbQuestions:
    """The normalised questions of the KB version in service, re-read when ``kb/current`` names another one."""

    kb_dir: Path
    version: Optional[str] = None
    questions: FrozenSet[str] = field(default_factory=frozenset)
    grams: Tuple[FrozenSet[str], ...] = ()  # the questions' character bigrams (kb_index.overlap)

    def current(self) -> FrozenSet[str]:
        try:
            version = (self.kb_dir / "current").read_text(encoding="utf-8").strip()
        except OSError:
            return self.questions  # no index published yet (or being replaced): keep what we have
        if version != self.version:
            try:
                rows = json.loads((self.kb_dir / "versions" / version / "questions.json").read_text(encoding="utf-8"))
                self.questions = frozenset(str(row["text"]) for row in rows)
                self.grams = tuple(bigrams(q) for q in self.questions)
                self.version = version
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("KB questions of version %s unreadable: %s", version, error)
        return self.questions

    def closest(self, text: str) -> float:
        """The highest share of wording (Dice of character bigrams) ``text`` has with any KB question."""
        self.current()
        return best_dice(normalise_query(text), self.grams)


def default_kb_dir() -> Path:
    """``$DATA_DIR/kb`` as common.settings resolves it (default ``<repo>/var``), without importing pydantic."""
    root = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("DATA_DIR") or root / "var") / "kb"


def _arbitrated_since_last_user(tracker: DialogueStateTracker) -> bool:
    """Whether ``action_kb_arbitrate`` already ran for the latest message (also when it reverted itself)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ARBITRATE_ACTION:
            return True
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class KbArbitrationPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # priority 5: above RulePolicy (4) and MemoizationPolicy (3), only for the turns it predicts
        # support_check: below it a confident intent's message is compared with the KB's questions here, and
        # when one shares more of its wording, by the action with the question the KB matches
        # (actions/arbitrate.py); 0.9 leaves out only messages nearly equal to a training example
        return {"priority": 5, "weak_threshold": 0.7, "kb_dir": None, "support_check": 0.9}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.weak_threshold = float(config["weak_threshold"])  # Rasa merges get_default_config()
        self.support_check = float(config["support_check"])
        self.kb = KbQuestions(Path(config["kb_dir"]) if config.get("kb_dir") else default_kb_dir())

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def persist(self) -> None:
        return None

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[str, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        abstain = self._prediction(self._default_predictions(domain))
        if ARBITRATE_ACTION not in domain.action_names_or_texts:
            return abstain
        if tracker.latest_action_name == ARBITRATE_ACTION:  # it answered from the KB: wait for the customer
            return self._prediction(confidence_scores_for(ACTION_LISTEN_NAME, 1.0, domain))
        if tracker.latest_action_name != ACTION_LISTEN_NAME or _arbitrated_since_last_user(tracker):
            return abstain
        message = tracker.latest_message
        if message is None:
            return abstain
        intent = message.intent or {}
        novel = message.parse_data.get(NOVEL_TERMS) or ()
        support = message.parse_data.get(INTENT_SUPPORT)
        text = message.text or ""
        reason = arbitration_reason(intent.get("name"), intent.get("confidence"), text,
                                    active_loop=tracker.active_loop_name, weak_threshold=self.weak_threshold,
                                    kb_questions=self.kb.current(), novel_terms=tuple(novel),
                                    safety_rule=message.parse_data.get(SAFETY_RULE),
                                    intent_support=support if isinstance(support, (int, float)) else None,
                                    support_check=self.support_check,
                                    # compared with every KB question (a few ms for 2k) only when nothing else
                                    # decided: a confident ordinary intent supporting the message weakly
                                    kb_overlap=lambda: self.kb.closest(text))
        if reason is None:
            return abstain
        # the reason travels with the prediction, so the action weighs the KB exactly as this policy decided
        # (weak, a weak compliance intent, word for word, novel words) without knowing its thresholds
        return self._prediction(confidence_scores_for(ARBITRATE_ACTION, 1.0, domain),
                                optional_events=[SlotSet(REASON_SLOT, reason)],
                                diagnostic_data={"kb_arbitration": reason})
