"""The learned re-ranker: trained at index build time on the KB being indexed, and only on it.

Training queries are leave-one-out: every question of an entry with several questions is a query, with itself
removed from the KB for its own query (``kb_index.features``); its entry keeps its other questions
(``keep_others="all"``, the default). ``keep_others="sampled"`` also removes some of them, so that the entry
keeps as many questions as a KB entry drawn at random (bank_faq: mostly one). That design was better on its
own leave-one-out queries (bank KB out-of-fold top-1 0.440 against 0.343) but worse on the bank's dev
queries (top-1 0.517 against 0.605 for the first release), whose entries look like the ones that keep their
other questions; it stays available, not the default.
Its top ``CANDIDATES`` entries from the vector index get features, and
LightGBM LambdaRank learns to put the entry it came from first.

Confidence: a logistic calibration maps a candidate's re-ranker score, its margin over the best other
candidate and its e5 cosine to the probability that it is the right entry. It is fitted on out-of-fold
predictions (3 folds, grouped by entry, so no model scores a query of an entry it was trained on), so it
learns how often the re-ranker is right on questions it has not seen. The model that serves is the average of
the fold boosters themselves (``serve="folds"``, the default): the scores the calibration was fitted on come
from the same models, and nothing is trained twice. On the KBs' nested leave-one-out queries (the whole
training, calibration included, repeated without a third of the entries, then scored on them) it ranks as well
as the second release's three seeds retrained on all queries (bank KB top-1 / top-3 0.609 / 0.780 and
0.605 / 0.773 against 0.609 / 0.770 and 0.604 / 0.770; this project's KB 0.663 / 0.886 and 0.660 / 0.878
against 0.654 / 0.886 and 0.664 / 0.884, two fold draws each) with 3 boosters trained instead of 12. Five seeds,
400 rounds, 31 leaves or 20 rows per leaf moved top-1 by at most 0.005 there: not kept.

Too few multi-question entries (``min_entries``) or training queries (``min_queries``): no re-ranker, and the
index serves today's scoring (question cosine + answer-aware re-ranking), with no calibrated confidence.

LightGBM runs with explicit threads and ``deterministic=True``: a build is reproducible, and training never
takes more threads than it was given; serving predicts on one thread so it does not fight the e5 encoder's
OpenMP pool.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

from kb_index.features import CANDIDATES, FEATURES, FETCH, KbFeatureData, candidate_features, loo_candidates

CALIBRATED = 3  # candidates per query the calibration is fitted on (the top one and the next suggestions)


@dataclass(frozen=True)
class RerankerConfig:
    min_entries: int = 20  # entries with 2+ questions needed to train
    min_queries: int = 100  # leave-one-out queries needed to train
    max_queries: int = 4000  # a larger KB trains on a seeded sample
    keep_others: int | Literal["sampled", "all"] = "all"  # other questions the query's entry keeps
    variants: int = 1  # copies of each query, each keeping other questions of its entry
    seeds: tuple[int, ...] = (0,)
    folds: int = 3
    # "folds": serve the cross-fitting's own fold boosters, averaged (no final training; the calibration was
    # fitted on those very models' scores); "refit": serve ``seeds`` boosters trained again on all queries
    serve: Literal["refit", "folds"] = "folds"
    rounds: int = 200
    num_threads: int = 2
    monotone: bool = True  # agreement on business terms can only raise a candidate, disagreement only lower it
    features: tuple[str, ...] = FEATURES  # the columns of ``kb_index.features`` the model reads
    candidates: int = CANDIDATES  # entries it orders, the best of the ``fetch`` nearest questions
    fetch: int = FETCH
    reuse_changed: float = 0.02  # a rebuild changing at most this share of questions reuses the last model
    params: dict[str, Any] = field(default_factory=lambda: {
        "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 50, "feature_fraction": 0.8,
        "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0})


# the re-ranker as first shipped, for side-by-side benchmarks: entries kept all their other questions, no
# monotone constraints, and without the features added since
FIRST_RELEASE = RerankerConfig(keep_others="all", monotone=False, candidates=30, fetch=200, seeds=(0, 1, 2),
                               serve="refit", features=tuple(
    f for f in FEATURES if f not in ("question_coverage", "char_jaccard", "terms_missing", "terms_extra",
                                     "terms_entry_conflicts")))

FIRST_RELEASE_ANSWER_CONFIDENCE = 0.75  # the probability it answered at

# the second release (README "Knowledge base"): three seeds retrained on all queries, answering at 0.75
PREVIOUS = RerankerConfig(seeds=(0, 1, 2), serve="refit")
PREVIOUS_ANSWER_CONFIDENCE = 0.75


@dataclass(frozen=True)
class TrainingSet:
    features: np.ndarray  # (rows, FEATURES)
    labels: np.ndarray  # 1 for the entry the query came from
    groups: np.ndarray  # candidates per query
    query_entries: np.ndarray  # the entry each query came from
    candidate_entries: np.ndarray  # (rows,) entry of each row


def training_questions(data: KbFeatureData, config: RerankerConfig) -> list[int]:
    """Question ids used as leave-one-out queries: every question of an entry with 2+ questions (a seeded
    sample of ``max_queries`` for a large KB); empty when the KB has too few of them to learn from."""
    multi = [q for q in data.entry_questions if q.size > 1]
    ids = sorted(int(i) for q in multi for i in q)
    if len(multi) < config.min_entries or len(ids) < config.min_queries:
        return []
    if len(ids) > config.max_queries:
        ids = sorted(np.random.default_rng(0).choice(ids, config.max_queries, replace=False).tolist())
    return ids


def training_queries(data: KbFeatureData, config: RerankerConfig) -> list[tuple[int, tuple[int, ...]]]:
    """(question used as the query, questions removed from the KB for it): the question itself and some of its
    entry's other questions, so that the entry keeps ``keep_others`` of them: "sampled" draws that number
    from the KB's own entry sizes (each entry counted once; at most all the others), "all" keeps every other
    question, an int that many. Seeded; up to ``variants`` copies of a query, each keeping a different set."""
    rng = np.random.default_rng(0)
    sizes = np.array([q.size for q in data.entry_questions if q.size])
    queries = []
    for question in training_questions(data, config):
        others = [int(q) for q in data.entry_questions[int(data.question_entry[question])] if q != question]
        order = rng.permutation(len(others)).tolist()
        copies: set[tuple[int, ...]] = set()
        for copy in range(min(config.variants, len(others))):
            keep = (len(others) if config.keep_others == "all" else int(rng.choice(sizes))
                    if config.keep_others == "sampled" else int(config.keep_others))
            kept = {order[(copy + i) % len(others)] for i in range(min(max(1, keep), len(others)))}
            removed = tuple(sorted([question, *(q for i, q in enumerate(others) if i not in kept)]))
            if removed not in copies:
                copies.add(removed)
                queries.append((question, removed))
    return queries


def training_set(data: KbFeatureData, question_text: Sequence[str], query_vectors: np.ndarray,
                 queries: Sequence[tuple[int, tuple[int, ...]]], config: RerankerConfig) -> TrainingSet:
    """Candidates and features of each leave-one-out query (``query_vectors[i]`` encodes question
    ``queries[i][0]`` as a query; ``queries[i][1]`` are removed from the KB for it)."""
    rows, labels, groups, query_entries, cand_entries = [], [], [], [], []
    for vector, (question, removed) in zip(query_vectors, queries, strict=True):
        candidates = loo_candidates(data, vector, removed, config.fetch, config.candidates)
        gold = int(data.question_entry[question])
        rows.append(candidate_features(data, question_text[question], vector, candidates, held_out=removed))
        labels += [int(c.entry == gold) for c in candidates]
        cand_entries += [c.entry for c in candidates]
        groups.append(len(candidates))
        query_entries.append(gold)
    return TrainingSet(np.vstack(rows) if rows else np.zeros((0, len(FEATURES))), np.array(labels),
                       np.array(groups), np.array(query_entries), np.array(cand_entries))


def design_of(config: RerankerConfig) -> dict[str, Any]:
    """What a trained model depends on beyond its features and candidates (recorded in ``reranker.json``): a
    rebuild reuses the model in service only when this is unchanged."""
    return {"keep_others": config.keep_others, "variants": config.variants, "seeds": list(config.seeds),
            "folds": config.folds, "rounds": config.rounds, "monotone": config.monotone, "serve": config.serve,
            "fetch": config.fetch, "max_queries": config.max_queries, "params": dict(sorted(config.params.items()))}


def _offsets(groups: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(groups)]).astype(np.int64)


def monotone_direction(feature: str) -> int:
    """+1: the score may only rise with this feature (agreement on a business term), -1: only fall (a term the
    query names that the entry contradicts or never names), 0: learned freely."""
    if feature.startswith(("terms_q_", "terms_a_")):
        return 1
    return -1 if feature in ("terms_conflicts", "terms_missing", "terms_entry_conflicts") else 0


def _columns(names: Sequence[str]) -> list[int]:
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise StaleReranker(f"reads features this code does not compute ({', '.join(unknown)}): rebuild the index")
    return [FEATURES.index(n) for n in names]


def _fit(train: TrainingSet, queries: np.ndarray, config: RerankerConfig) -> list[Any]:
    """One LambdaRank booster per seed on the given queries (those with the right entry among candidates)."""
    import lightgbm as lgb

    offsets = _offsets(train.groups)
    keep = [q for q in queries if train.labels[offsets[q]:offsets[q + 1]].any()]
    rows = np.concatenate([np.arange(offsets[q], offsets[q + 1]) for q in keep])
    dataset = lgb.Dataset(train.features[rows][:, _columns(config.features)], train.labels[rows],
                          group=train.groups[keep], feature_name=list(config.features), free_raw_data=False,
                          params={"verbosity": -1, "num_threads": config.num_threads})
    params = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [1, 3], "verbosity": -1,
              "num_threads": config.num_threads, "deterministic": True, "force_row_wise": True, **config.params}
    if config.monotone:
        params["monotone_constraints"] = [monotone_direction(name) for name in config.features]
    return [lgb.train({**params, "seed": seed}, dataset, num_boost_round=config.rounds) for seed in config.seeds]


def _predict(boosters: Sequence[Any], features: np.ndarray) -> np.ndarray:
    return np.mean([b.predict(features, num_threads=1) for b in boosters], axis=0) if len(features) else np.zeros(0)


def calibration_inputs(scores: np.ndarray, qcos: np.ndarray,
                       limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Order of one query's candidates by re-ranker score, and the calibration inputs of its first ``limit``
    (all by default) in that order: score, margin over the best other candidate, e5 cosine, cosine gap to the
    best cosine."""
    order = np.lexsort((np.arange(scores.size), -scores))
    top = order[:limit]
    ranked = scores[order]
    runner_up = ranked[1] if scores.size > 1 else ranked[0] - 10.0
    best_other = np.where(np.arange(top.size) == 0, runner_up, ranked[0])
    inputs = np.column_stack([scores[top], scores[top] - best_other, qcos[top], qcos[top] - qcos.max()])
    return order, inputs


@dataclass(frozen=True)
class Calibration:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, inputs: np.ndarray) -> np.ndarray:
        z = (inputs - np.array(self.mean)) / np.array(self.scale) @ np.array(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _fit_calibration(inputs: np.ndarray, labels: np.ndarray) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000).fit((inputs - mean) / scale, labels)
    return Calibration(tuple(mean.tolist()), tuple(scale.tolist()), tuple(model.coef_[0].tolist()),
                       float(model.intercept_[0]))


@dataclass(frozen=True)
class RankedCandidates:
    order: np.ndarray  # candidate positions, best first
    probability: np.ndarray  # calibrated probability of each, in that order


class StaleReranker(ValueError):
    """A re-ranker trained on other features than this code computes (built by an older version)."""


class Reranker:
    """Serving side: boosters + calibration, loaded from the index version's ``reranker.json``."""

    def __init__(self, boosters: Sequence[Any], calibration: Calibration, report: dict[str, Any],
                 features: Sequence[str] = FEATURES, candidates: int = CANDIDATES, fetch: int = FETCH,
                 design: dict[str, Any] | None = None) -> None:
        self.boosters, self.calibration, self.report = list(boosters), calibration, report
        self.candidates, self.fetch, self.design = candidates, fetch, design
        self.features, self._columns = tuple(features), _columns(features)
        if any(b.num_feature() != len(self._columns) for b in self.boosters):
            raise StaleReranker("its models read another number of features than it names: rebuild the index")

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The boosters' average score of each candidate row (rows of all ``FEATURES``; higher: more likely
        the right entry)."""
        return _predict(self.boosters, features[:, self._columns])

    def rank(self, features: np.ndarray) -> RankedCandidates:
        scores = self.scores(features)
        order, inputs = calibration_inputs(scores, features[:, FEATURES.index("qcos")])
        return RankedCandidates(order, self.calibration.probability(inputs))

    def to_json(self) -> str:
        return json.dumps({"features": list(self.features), "candidates": self.candidates, "fetch": self.fetch,
                           "design": self.design,
                           "models": [b.model_to_string() for b in self.boosters],
                           "calibration": asdict(self.calibration), "report": self.report}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Reranker:
        import lightgbm as lgb

        data = json.loads(text)
        fitted = data["calibration"]
        calibration = Calibration(tuple(fitted["mean"]), tuple(fitted["scale"]), tuple(fitted["coef"]),
                                  float(fitted["intercept"]))
        return cls([lgb.Booster(model_str=m) for m in data["models"]], calibration, data["report"],
                   _names(data["features"]), int(data.get("candidates", 30)), int(data.get("fetch", 200)),
                   data.get("design"))


def _names(features: Any) -> tuple[str, ...]:
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ValueError("features must be a list of names")
    _columns(features)
    return tuple(features)


def _metrics(ranked_entries: Sequence[np.ndarray], gold: np.ndarray) -> dict[str, float]:
    ranks = [int(np.flatnonzero(e == g)[0]) + 1 if (e == g).any() else None
             for e, g in zip(ranked_entries, gold, strict=True)]
    n = max(1, len(ranks))
    return {"top1": round(sum(r == 1 for r in ranks) / n, 4),
            "top3": round(sum(r is not None and r <= 3 for r in ranks) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4)}


def train(data: KbFeatureData, question_text: Sequence[str], query_vectors: np.ndarray,
          queries: Sequence[tuple[int, tuple[int, ...]]], config: RerankerConfig = RerankerConfig()) -> Reranker:
    """Cross-fitted training on the leave-one-out queries; ``report`` holds the out-of-fold quality next to
    today's scoring, and the out-of-fold (probability, right) pairs of the top candidates that the answer
    thresholds are chosen on."""
    started = time.monotonic()
    train_set = training_set(data, question_text, query_vectors, queries, config)
    offsets = _offsets(train_set.groups)
    n_queries = len(train_set.groups)
    entries = np.unique(train_set.query_entries)
    fold_of_entry = dict(zip(np.random.default_rng(0).permutation(entries).tolist(),
                             (np.arange(entries.size) % config.folds).tolist(), strict=True))
    fold = np.array([fold_of_entry[int(e)] for e in train_set.query_entries])
    oof = np.zeros(len(train_set.labels))
    fold_boosters: list[Any] = []
    for k in range(config.folds):
        boosters = _fit(train_set, np.flatnonzero(fold != k), config)
        fold_boosters += boosters
        for held in np.flatnonzero(fold == k):
            rows = slice(offsets[held], offsets[held + 1])
            oof[rows] = _predict(boosters, train_set.features[rows][:, _columns(config.features)])
    inputs, labels, ranked, baseline = [], [], [], []
    qcos_column, combined_rank = FEATURES.index("qcos"), FEATURES.index("combined_rank")
    for q in range(n_queries):
        rows = slice(offsets[q], offsets[q + 1])
        if offsets[q + 1] == offsets[q]:
            continue
        order, calib = calibration_inputs(oof[rows], train_set.features[rows, qcos_column], CALIBRATED)
        cand = train_set.candidate_entries[rows]
        inputs.append(calib)
        labels.append([int(cand[i] == train_set.query_entries[q]) for i in order[:CALIBRATED]])
        ranked.append(cand[order])
        baseline.append(cand[np.argsort(train_set.features[rows, combined_rank], kind="stable")])
    calibration = _fit_calibration(np.vstack(inputs), np.concatenate(labels))
    boosters = fold_boosters if config.serve == "folds" else _fit(train_set, np.arange(n_queries), config)
    gold = np.array([train_set.query_entries[q] for q in range(n_queries) if train_set.groups[q]])
    report = {
        "queries": n_queries, "train_seconds": round(time.monotonic() - started, 2),
        "out_of_fold": _metrics(ranked, gold), "out_of_fold_baseline": _metrics(baseline, gold),
        # per query, for choosing and checking thresholds: the first candidates' calibrated probabilities and
        # cosines, and which of them is right (-1: none)
        "probabilities": [calibration.probability(x).round(4).tolist() for x in inputs],
        "cosines": [x[:, 2].round(4).tolist() for x in inputs],
        "right": [label.index(1) if 1 in label else -1 for label in labels],
    }
    return Reranker(boosters, calibration, report, config.features, config.candidates, config.fetch,
                    design_of(config))


def rank_candidates(reranker: Reranker, data: KbFeatureData, query: str, query_vector: np.ndarray,
                    candidates: Sequence[Any]) -> tuple[list[Any], list[float]]:
    """``candidates`` in the re-ranker's order with the calibrated probability of each."""
    if not candidates:
        return [], []
    ranked = reranker.rank(candidate_features(data, query, query_vector, candidates))
    return [candidates[i] for i in ranked.order], [float(p) for p in ranked.probability]
