"""The cascade: cheap stages first, each later stage sees only what the one before escalates.

The blocklist decides documents it finds nothing in (``not_ai``) and escalates the rest;
each model stage decides a document when it is confident enough (see :class:`ModelStage`)
and escalates it otherwise; the last stage decides everything it receives. A document
with a term of a *guarded* category (an intelligent entity: "robot", "android",
"chatbot"...) is never cleared as unrelated by a stage before the last: the word model's
prior ("short children's story: not AI") must not decide it alone. Every tag says
which stage decided and whether a stage before the last cleared it (``cleared``), so the
policy re-applied to stored tags decides exactly as the live cascade does. A *pool-only*
stage (the lexical model) decides nothing: it reads what reaches it, and its probabilities
join the mean a later stage decides on; a *stance* stage's proportion of misaligned to
aligned also splits the decision's misaligned + aligned probability.
Counts, time and the share escalated are kept per stage (:meth:`CascadeTagger.stats_dict`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from importlib import resources

from alignment_data.errors import ConfigError, unknown_choice
from alignment_data.options import option
from alignment_data.schema import AI_ALIGNED, AI_MISALIGNED, LABELS, NOT_AI, Tag
from alignment_data.tagging.base import Tagger, register_tagger
from alignment_data.tagging.blocklist import BlocklistOptions, BlocklistTagger
from alignment_data.tagging.embedding import DEFAULT_ENCODE_BATCH
from alignment_data.tagging.fields import (
    check_precision,
    compile_field,
    device_field,
    encoder_field,
    head_field,
    lexical_field,
    model_field,
    policy_field,
    precision_field,
    terms_field,
    threshold_field,
)
from alignment_data.tagging.policy import DEFAULT_POLICY, POLICY_NAMES, FilterPolicy, check_policy, make_policy

ESCALATE_RULES = ("any_term", "flagged")
UNMATCHED_RULES = ("clear", "screen")
STAGE_NAMES = ("fasttext", "lexical", "static", "embedding", "llm-judge")
JUDGE = "llm-judge"
STATIC = "static"  # only clears confident not_ai documents, never last, its scores never join the mean
LEXICAL = "lexical"  # pool-only in the shipped variant: never decides, its scores join the mean
JUDGE_SETTINGS_HELP = ("a setting of the LLM judge, KEY=VALUE: backend (default openai), model (gpt-4o-mini), base_url, "
                       "cache, max_chars, concurrency")


def default_cascade_config() -> dict:
    """Stage settings and policy thresholds chosen on the validation split (scripts/train_default_models.py)."""
    text = resources.files("alignment_data.tagging").joinpath("models", "cascade.json").read_text("utf-8")
    return json.loads(text)


def default_guard() -> tuple[str, ...]:
    """The term categories whose documents only the last stage may clear (cascade.json)."""
    return tuple(default_cascade_config().get("guard", ()))


def default_stages() -> tuple[str, ...]:
    """The ``default_stages`` of cascade.json whose extras are installed.

    fastText always; the lexical model and the static-embedding stage (the latter only with
    the ``static`` extra) only before the embedding model; the embedding model with the
    ``semantic`` extra.
    """
    from alignment_data.tagging.embedding import semantic_extra_installed
    from alignment_data.tagging.static import static_extra_installed

    wanted = tuple(default_cascade_config().get("default_stages", ("fasttext", "embedding")))
    semantic = "embedding" in wanted and semantic_extra_installed()
    static = STATIC in wanted and semantic and static_extra_installed()
    installed = {"fasttext": True, "embedding": semantic, LEXICAL: semantic, STATIC: static}
    return tuple(name for name in wanted if installed.get(name, False))


@dataclass(frozen=True)
class CascadeOptions:
    """The cascade's stages and their models, the escalation rule and the policy."""

    stages: tuple[str, ...] = option((), "model stage after the blocklist, in order: fasttext, lexical, static, "
                                         "embedding, llm-judge (default: the default_stages of cascade.json whose "
                                         "extras are installed; static only clears unrelated text, never last; "
                                         "llm-judge, last, only when named)", choices=STAGE_NAMES)
    model: str | None = model_field()
    lexical: str | None = lexical_field()
    head: str | None = head_field()
    encoder: str | None = encoder_field()
    terms: tuple[str, ...] = terms_field()
    policy: str = policy_field()
    threshold: float | None = threshold_field()
    escalate: str | None = option(None, "which documents the blocklist passes on: any_term (any term, cues "
                                        "included) or flagged (what the study's rule flags) (default: cascade.json)",
                                  choices=ESCALATE_RULES)
    device: str | None = device_field()
    encode_batch_size: int = option(DEFAULT_ENCODE_BATCH, "chunks the sentence encoder embeds at once")
    encoder_precision: str = precision_field()
    encoder_compile: bool = compile_field()
    judge: tuple[str, ...] = option((), JUDGE_SETTINGS_HELP, metavar="KEY=VALUE")
    judge_confidence: float = option(0.9, "with an llm-judge stage, the stage before it decides only when its top label "
                                          "has at least this probability, and passes the rest to the judge")
    unmatched: str | None = option(None, "documents the blocklist does not pass on: clear (decided not_ai) or screen "
                                         "(the first model stage reads them and passes on those whose top label is an "
                                         "AI label) (default: the variant's rule in cascade.json, else clear)", choices=UNMATCHED_RULES)
    focus: bool = option(True, "the embedding stage reads only the parts of a long document near a term (the "
                               "focus_words of cascade.json); --no-focus: the whole document")

    def __post_init__(self) -> None:
        check_policy(self.policy, "cascade", POLICY_NAMES)
        for name in self.stages:
            if name not in STAGE_NAMES:
                raise unknown_choice("cascade stage", name, STAGE_NAMES)
        if len(set(self.stages)) != len(self.stages):
            raise ConfigError(f"a cascade stage is named twice: {', '.join(self.stages)}")
        if JUDGE in self.stages[:-1]:
            raise ConfigError("the llm-judge stage can only be the last stage of the cascade")
        if self.stages and self.stages[-1] == STATIC:
            raise ConfigError("the static stage only clears unrelated text: a stage must follow it (e.g. --stages fasttext,static,embedding)")
        if self.escalate is not None and self.escalate not in ESCALATE_RULES:
            raise unknown_choice("escalate rule", self.escalate, ESCALATE_RULES)
        if self.unmatched is not None and self.unmatched not in UNMATCHED_RULES:
            raise unknown_choice("unmatched rule", self.unmatched, UNMATCHED_RULES)
        check_precision(self.encoder_precision)

    def resolved_stages(self) -> tuple[str, ...]:
        return self.stages or default_stages()


@dataclass
class StageStats:
    seen: int = 0
    decided: int = 0
    escalated: int = 0
    flagged: int = 0
    seconds: float = 0.0
    focused: int = 0  # documents the stage read only in part (ModelStage.focus_words)
    screened: int = 0  # the blocklist: documents passed on with no term, to be screened (unmatched="screen")

    def to_dict(self) -> dict:
        return {
            "seen": self.seen,
            "decided": self.decided,
            "escalated": self.escalated,
            "flagged": self.flagged,
            "share_escalated": round(self.escalated / self.seen, 6) if self.seen else 0.0,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ModelStage:
    """A label-predicting tagger and when it decides on its own.

    The stage decides a document when its top label is one of ``decides`` (all labels when
    empty) with probability at least ``confidence``; otherwise it escalates the document.
    A cheap stage that should only clear unrelated text uses ``decides={"not_ai"}``. With
    ``focus_words``, the stage reads a long document only near its terms
    (:meth:`BlocklistTagger.near_terms`): a web page that mentions a chatbot once costs
    one short passage, not the whole page, and the passage is what the decision is about.
    """

    tagger: Tagger
    confidence: float = 0.0
    decides: frozenset[str] = frozenset()
    #: whether this stage's probabilities join the mean a later stage decides on (``combine``)
    pooled: bool = True
    focus_words: int = 0
    #: the stage never decides: it passes every document on, its probabilities pooled
    pool_only: bool = False
    #: (pool-only stages) the deciding stage's misaligned + aligned probability is split between
    #: the two in this stage's proportion: a stage that tells the stances apart decides which
    stance: bool = False

    @property
    def name(self) -> str:
        return self.tagger.name

    def decides_on(self, tag: Tag) -> bool:
        if self.pool_only:
            return False
        return (not self.decides or tag.label in self.decides) and max(tag.scores.values(), default=1.0) >= self.confidence




def _stage_tagger(name: str, options: CascadeOptions) -> Tagger:
    if name == JUDGE:
        from alignment_data.synthesis.judge import JudgeOptions, JudgeTagger

        return JudgeTagger.from_options(JudgeOptions(options.judge, options.policy, options.threshold))
    if name == "fasttext":
        from alignment_data.tagging.fasttext import FastTextTagger

        return FastTextTagger(options.model)
    if name == LEXICAL:
        from alignment_data.tagging.lexical import LexicalTagger

        return LexicalTagger(options.lexical)
    if name == STATIC:
        from alignment_data.tagging.static import StaticTagger

        return StaticTagger()
    from alignment_data.tagging.embedding import EmbeddingTagger

    return EmbeddingTagger(options.head, options.encoder, batch_size=options.encode_batch_size, device=options.device,
                           precision=options.encoder_precision, compiled=options.encoder_compile)


def _model_stage(name: str, tagger: Tagger, setting: dict, focus: bool = True) -> ModelStage:
    if name == STATIC:  # whatever a setting says, the static stage only clears, and only for itself
        return static_stage(tagger, setting.get("confidence", 1.0))
    return ModelStage(tagger, setting.get("confidence", 0.0), frozenset(setting.get("decides", ())),
                      focus_words=setting.get("focus_words", 0) if focus else 0, pool_only=setting.get("pool_only", False),
                      stance=setting.get("stance", False))


def static_stage(tagger: Tagger, confidence: float) -> ModelStage:
    """A stage that only clears documents whose P(not_ai) reaches ``confidence``; its scores are its own."""
    return ModelStage(tagger, confidence, frozenset({NOT_AI}), pooled=False)


def _assemble(options: CascadeOptions) -> dict:
    """The parts of a cascade for ``options``: shipped stage settings, unless a stage's model is the user's."""
    names = options.resolved_stages()
    config = default_cascade_config()
    judged = names[-1] == JUDGE  # the shipped settings of the stages before the judge still apply
    variant = config["variants"].get("+".join(names[:-1] if judged else names), {})
    settings = {stage["name"]: stage for stage in variant.get("stages", [])}
    stages = []
    for name in names:
        setting = settings.get(name, {})
        stages.append(_model_stage(name, _stage_tagger(name, options), setting, options.focus))
    if judged and len(stages) > 1:
        stages[-2] = replace(stages[-2], confidence=max(stages[-2].confidence, options.judge_confidence))
    # a user's own model, or a judge deciding last, brings its own thresholds (and decides alone)
    custom = ((options.model is not None and "fasttext" in names) or (options.head is not None and "embedding" in names)
              or (options.lexical is not None and LEXICAL in names) or judged)
    thresholds = variant["thresholds"] if variant and not custom else stages[-1].tagger.thresholds
    combine = variant.get("combine", False) and not custom
    if not combine:  # a pool-only stage only matters in the mean
        stages = [stage for stage in stages if not stage.pool_only]
    return {
        "blocklist": BlocklistTagger.from_options(BlocklistOptions(options.terms)),
        "stages": stages,
        "policy": make_policy(options.policy, options.threshold, thresholds),
        "escalate": options.escalate or config["escalate"],
        "unmatched": options.unmatched or variant.get("unmatched", "clear"),
        "combine": combine,
        "thresholds": thresholds,
        "guard": config.get("guard", ()),
    }


@register_tagger("cascade", CascadeOptions)
class CascadeTagger(Tagger):
    """Blocklist, then model stages (fastText, then optionally an embedding model).

    ``CascadeTagger()`` is the shipped default: both stages (fastText alone without the
    ``semantic`` extra) with the settings tuned on the validation split. ``escalate`` says
    which documents the blocklist passes on: ``any_term`` (any term of any category, cues
    included: the models then judge every document that mentions anything relevant) or
    ``flagged`` (only documents the study's rule flags). ``policy`` decides ``flagged`` (see
    :mod:`alignment_data.tagging.policy`). With ``combine``, a stage deciding a document
    that earlier model stages also scored decides on the mean of their probabilities (the
    word model and the embedding model make different mistakes, so their mean is better
    than either). ``guard`` names the term categories whose documents no stage before the
    last may clear as ``not_ai`` (default: the shipped ``guard`` of cascade.json).
    ``unmatched`` says what happens to a document with no term: ``clear`` (not AI discourse)
    or ``screen`` (the first model stage reads it and passes it on only when an AI label
    comes out on top; the stage after decides it on its own probabilities, unpooled).
    """

    policies = POLICY_NAMES

    def __init__(
        self,
        blocklist: BlocklistTagger | None = None,
        stages: list[ModelStage] | None = None,
        policy: FilterPolicy | None = None,
        escalate: str | None = None,
        combine: bool | None = None,
        thresholds: dict[str, float] | None = None,
        guard: tuple[str, ...] | None = None,
        unmatched: str | None = None,
    ):
        if stages is None:
            default = _assemble(CascadeOptions())
            stages, thresholds = default["stages"], thresholds or default["thresholds"]
            policy = policy or default["policy"]
            escalate = escalate or default["escalate"]
            combine = default["combine"] if combine is None else combine
            unmatched = unmatched or default["unmatched"]
        if not stages:
            raise ConfigError("a cascade needs at least one model stage after the blocklist")
        for position, stage in enumerate(stages):
            if stage.name == STATIC and (position == len(stages) - 1 or stage.decides != frozenset({NOT_AI}) or stage.pooled):
                raise ConfigError("the static stage only clears unrelated text: build it with static_stage() and put a stage after it")
            if stage.pool_only and (position == len(stages) - 1 or not stage.pooled or not combine):
                raise ConfigError(f"the pool-only stage {stage.name!r} decides nothing: it needs combine, pooling "
                                  "and a stage after it")
            if stage.stance and not stage.pool_only:
                raise ConfigError(f"only a pool-only stage can set the stance ({stage.name!r} is not one)")
        self.blocklist = blocklist or BlocklistTagger()
        self.stages = list(stages)
        self.escalate = escalate or "any_term"
        if self.escalate not in ESCALATE_RULES:
            raise unknown_choice("escalate rule", self.escalate, ESCALATE_RULES)
        self.combine = bool(combine)
        self.guard = frozenset(default_guard() if guard is None else guard)
        self.unmatched = unmatched or "clear"
        if self.unmatched not in UNMATCHED_RULES:
            raise unknown_choice("unmatched rule", self.unmatched, UNMATCHED_RULES)
        self._thresholds = dict(thresholds if thresholds is not None else self.stages[-1].tagger.thresholds)
        self.policy = policy or make_policy(DEFAULT_POLICY, thresholds=self._thresholds)
        self.reset_stats()

    @classmethod
    def from_options(cls, options: CascadeOptions) -> CascadeTagger:
        return cls(**_assemble(options))

    @property
    def thresholds(self) -> dict[str, float]:
        return self._thresholds

    @property
    def run_settings(self) -> dict:
        return {key: value for stage in self.stages for key, value in stage.tagger.run_settings.items()}

    def reset_stats(self) -> None:
        self.stats = {name: StageStats() for name in [self.blocklist.name] + [stage.name for stage in self.stages]}
        for stage in self.stages:
            stage.tagger.reset_stats()

    def tag_batch(self, texts: list[str]) -> list[Tag]:
        start = time.perf_counter()
        scans = [self.blocklist.scan_categories(text) for text in texts]
        first = [tag for tag, _, _ in scans]
        guarded = [bool(self.guard & found) for _, _, found in scans]
        results: list[Tag | None] = [None] * len(texts)
        pending: list[int] = []
        screened: set[int] = set()  # passed on with nothing found: the first model stage screens them
        for index, (tag, any_term, _) in enumerate(scans):
            if tag.blocklist_flagged if self.escalate == "flagged" else any_term:
                pending.append(index)
            elif self.unmatched == "screen":
                pending.append(index)
                screened.add(index)
            else:
                # nothing to pass on (a document the study's rule flags always is): not AI discourse
                results[index] = self.policy.decide(replace(tag, label=NOT_AI, cleared=True))
        self._count(self.blocklist.name, len(texts), len(pending), [tag for tag in results if tag is not None], start)
        self.stats[self.blocklist.name].screened += len(screened)
        earlier: dict[int, list[dict[str, float]]] = {}
        stances: dict[int, dict[str, float]] = {}  # a stance stage's probabilities, per document
        for position, stage in enumerate(self.stages):
            if not pending:
                break
            start = time.perf_counter()
            last = position == len(self.stages) - 1
            read = [self.blocklist.near_terms(texts[index], stage.focus_words) if stage.focus_words else texts[index]
                    for index in pending]
            self.stats[stage.name].focused += sum(1 for index, text in zip(pending, read) if text is not texts[index])
            tags = stage.tagger.tag_batch(read)
            still: list[int] = []
            decided: list[Tag] = []
            for index, tag in zip(pending, tags):
                if position == 0 and index in screened:  # no term: decided unless an AI label comes out on top
                    decides = tag.label == NOT_AI
                else:
                    decides = stage.decides_on(tag) and not (guarded[index] and tag.label == NOT_AI)
                if last or decides:
                    pool = self.combine and stage.pooled and index in earlier and index not in screened
                    scores = _mean(earlier[index] + [tag.scores]) if pool else tag.scores
                    if index in stances:
                        scores = _split_stance(scores, stances[index])
                    label = max(scores, key=scores.__getitem__)
                    # a stage before the last that decides not_ai cleared the document: no model policy flags it
                    undecided = replace(first[index], label=label, scores=scores, stage=tag.stage,
                                        cleared=not last and label == NOT_AI)
                    results[index] = self.policy.decide(undecided)
                    decided.append(results[index])
                else:
                    still.append(index)
                    if stage.pooled:
                        earlier.setdefault(index, []).append(tag.scores)
                    if stage.stance:
                        stances[index] = tag.scores
            self._count(stage.name, len(pending), len(still), decided, start)
            pending = still
        return results  # type: ignore[return-value]

    def _count(self, name: str, seen: int, escalated: int, decided: list[Tag], start: float) -> None:
        stats = self.stats[name]
        stats.seen += seen
        stats.escalated += escalated
        stats.decided += seen - escalated
        stats.flagged += sum(1 for tag in decided if tag.flagged)
        stats.seconds += time.perf_counter() - start

    def stats_dict(self) -> dict[str, dict]:
        """Per stage: seen, decided, escalated, flagged, share escalated, seconds, documents read
        only near their terms (``focused``, a stage with ``focus_words``), and the stage's own
        counters (the embedding stage reports chunks and subsampled documents)."""
        out = {name: stats.to_dict() for name, stats in self.stats.items()}
        for stage in self.stages:
            out[stage.name].update(stage.tagger.stats_dict())
            if stage.focus_words:
                out[stage.name]["focused"] = self.stats[stage.name].focused
        if self.unmatched == "screen":
            out[self.blocklist.name]["screened"] = self.stats[self.blocklist.name].screened
        return out


def _split_stance(scores: dict[str, float], stance: dict[str, float]) -> dict[str, float]:
    """``scores`` with their misaligned + aligned probability split in ``stance``'s proportion."""
    both, ratio = stance.get(AI_MISALIGNED, 0.0) + stance.get(AI_ALIGNED, 0.0), 0.5
    if both > 0:
        ratio = stance.get(AI_MISALIGNED, 0.0) / both
    mass = scores.get(AI_MISALIGNED, 0.0) + scores.get(AI_ALIGNED, 0.0)
    return {**scores, AI_MISALIGNED: mass * ratio, AI_ALIGNED: mass * (1 - ratio)}


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    """The mean of several stages' label probabilities."""
    labels = [label for label in LABELS if any(label in row for row in scores)]
    return {label: sum(row.get(label, 0.0) for row in scores) / len(scores) for label in labels}
