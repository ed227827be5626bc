"""Intent classifier: sublinear TF-IDF weighting of the sparse n-gram features, then logistic regression.

Rasa's own ``LogisticRegressionClassifier`` fits raw counts with a fixed C=1, which under-fits 60 intents of
short Chinese questions. Measured on the held-out file (README "Speed and accuracy"), TF-IDF weighting plus a
larger C raises accuracy while training in seconds and answering in well under a millisecond, with no
TensorFlow model. Persistence and prediction are Rasa's (skops file inside the model), but loading is strict:
Rasa's parent silently returns an *untrained* classifier when skops reports a type it does not trust (the
TF-IDF weights are a scipy sparse matrix), so :meth:`load` trusts exactly the types this pipeline stores and
fails loudly on anything else.
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

# types a skops dump of this pipeline contains beyond skops' built-in trusted sklearn/numpy types
TRUSTED_SPARSE_TYPES = frozenset(
    {"scipy.sparse._csr.csr_matrix", "scipy.sparse._dia.dia_matrix", "scipy.sparse._csc.csc_matrix"}
)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` with TF-IDF weighting and a configurable regularisation ``C``."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 100.0,
            "sublinear_tf": True,
            "max_iter": 3000,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = Pipeline(
            [
                ("tfidf", TfidfTransformer(sublinear_tf=self.config["sublinear_tf"])),
                (
                    "logreg",
                    LogisticRegression(
                        C=self.config["C"],
                        solver=self.config["solver"],
                        max_iter=self.config["max_iter"],
                        tol=self.config["tol"],
                        class_weight="balanced",
                        random_state=self.config["random_state"],
                    ),
                ),
            ]
        )

    def train(self, training_data: TrainingData) -> Resource:
        resource = super().train(training_data)
        _fortran_coefficients(self.clf)
        return resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfLogisticRegressionClassifier:
        import skops.io as sio

        with model_storage.read_from(resource) as model_dir:
            path = model_dir / f"{resource.name}.skops"
            untrusted = set(sio.get_untrusted_types(file=path))
            unexpected = untrusted - TRUSTED_SPARSE_TYPES
            if unexpected:
                raise ValueError(f"{path}: refusing to load unexpected types {sorted(unexpected)}")
            pipeline = sio.load(path, trusted=sorted(untrusted))
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf = _fortran_coefficients(pipeline)
        return component


def _fortran_coefficients(pipeline: Pipeline) -> Pipeline:
    """Store the coefficients column-major: sklearn multiplies the sparse features by ``coef_.T``, and scipy
    copies a non-contiguous right operand (60 intents x ~40k n-grams) on every message otherwise."""
    logreg = pipeline.named_steps["logreg"]
    if hasattr(logreg, "coef_"):
        logreg.coef_ = np.asfortranarray(logreg.coef_)
    return pipeline
