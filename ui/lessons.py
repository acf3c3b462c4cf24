"""Lessons: guided paths through the explorers, one step at a time, each step a preset and a question.

A lesson lives in the link (``?lesson=first-hour&step=3``) so a teacher can send a class to step 3. Each step
names its page and preset; the lesson bar at the top of the page says what to look at and what to ask, and
"Next" switches to the next step's page with its preset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

import claims.fit_line as fit
import claims.optimizers as opt
import claims.embeddings as emb
import claims.batch_size as batch
import claims.boundary as net
import claims.calibration as cal
from claims import claim, said

from ui.params import shown

LESSON_KEY, STEP_KEY = "lesson", "step"


@dataclass(frozen=True)
class Step:
    """One stop: ``page`` is an explorer's url_path, ``preset`` one of its presets (or None for the defaults),
    ``values`` extra link values; ``look`` says what to watch, ``ask`` the question to think about."""

    page: str
    title: str
    look: str
    ask: str
    preset: str | None = None
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    summary: str
    steps: tuple[Step, ...]


LESSONS = {lesson.slug: lesson for lesson in [
    Lesson("first-hour", "The first hour of machine learning",
           "From fitting a line to deciding where to draw the line: five pages, one idea each.", (
               Step("fit-a-line", "A line learns by walking downhill",
                    claim(fit.good,
                          "Press ▶ and watch (w, b) walk across the loss bowl while the line swings into place."),
                    claim(fit.shorter_steps,
                          "Why do the steps get shorter as the line gets better, although η never changes?"),
                    preset="good"),
               Step("fit-a-line", "Too large a step",
                    claim(fit.diverging,
                          "The same walk with a bigger learning rate: it overshoots, and the loss grows."),
                    claim(fit.stable_limit, "The page says the limit is η < 2/λ_max. What is λ_max measuring about the bowl?"),
                    preset="diverging"),
               Step("optimizers", "Momentum in a narrow valley",
                    claim(opt.zigzag,
                          "Plain gradient descent zig-zags across the valley; momentum averages the zig-zag away."),
                    said("What would happen with β = 0.99? Try it, then explain what you see."), preset="zigzag"),
               Step("decision-boundary", "One neuron draws one line",
                    claim(net.xor_line,
                          "A single neuron on XOR: no straight line separates the corners, and the trained neuron "
                          "stalls near 50 %."),
                    said("Add one hidden layer of 4 units. What does each unit's tile show?"), preset="xor-line"),
               Step("batch-size", "Noisy steps are cheap steps",
                    claim(batch.noisy_but_cheap,
                          "Batch 1 staggers per step but is far ahead per example seen."),
                    "If examples cost money, which batch size would you choose, and why?",
                    preset="noisy-but-cheap"),
               Step("calibration", "99 % accurate, and useless",
                    claim(cal.car_crash,
                          "At 1 crash in 102 trips, “never” is 99 % accurate. Read recall and MCC."),
                    "Which single number would you report for this model, and why not accuracy?",
                    preset="car-crash"),
           )),
    Lesson("gradient-descent", "Gradient descent, step by step", "One learning rate too small, one right, one too large.",
           (
               Step("fit-a-line", "Crawling", claim(fit.crawling,
                                                    "With a tiny η the line barely moves in 100 steps."),
                    "How many steps would it need? Use the loss curve to guess.", preset="crawling"),
               Step("fit-a-line", "Just right", claim(fit.good,
                                                      "A sensible η: the loss falls fast, then flattens."),
                    "Why does the loss curve flatten near the minimum?", preset="good"),
               Step("fit-a-line", "Diverging", claim(fit.stable_limit,
                                                     "Past 2/λ_max every step overshoots further."),
                    "Find the largest η that still converges, using the page's λ_max.", preset="diverging"),
           )),
    Lesson("optimizers", "Why we don't use plain gradient descent", "Momentum, saddles and local minima.", (
        Step("optimizers", "Zig-zag", claim(opt.zigzag,
                                            "Gradient descent zig-zags in a narrow valley."),
             "Which direction does momentum damp, and which does it speed up?", preset="zigzag"),
        Step("optimizers", "Saddle point", claim(opt.saddle,
                                                 "Starting almost on the ridge, who escapes first?"),
             "Why does plain gradient descent linger at the saddle?", preset="saddle"),
        Step("optimizers", "Local minima", claim(opt.rastrigin,
                                                 "Every racer stops in the nearest dimple."),
             said("Would a larger learning rate help? Try it."), preset="rastrigin"),
    )),
    Lesson("neural-networks", "What hidden layers buy", "Features versus depth, and two ways training fails.", (
        Step("decision-boundary", "XOR with one neuron", claim(net.xor_line,
                                                               "One line cannot separate XOR."),
             "Which single feature would make it separable?", preset="xor-line"),
        Step("decision-boundary", "The product feature", claim(net.xor_product,
                                                               "x₁x₂ turns XOR into one straight cut."),
             "Why does this work without any hidden layer?", preset="xor-product"),
        Step("decision-boundary", "Spirals need depth", claim(net.spiral_depth,
                                                              "One layer of 8 units against four layers."),
             "What do the tiles of the last hidden layer look like?", preset="spiral-depth"),
        Step("decision-boundary", "Overfitting", claim(net.overfit,
                                                       "Training loss to zero, test loss back up."),
             said("Add L2 regularisation: what happens to the weights' lines?"), preset="overfit"),
        Step("decision-boundary", "Dead ReLUs", claim(net.dead_relu,
                                                      "Blank tiles: units that never switch on."),
             claim(net.dead_relu, "Why does no gradient reach a dead ReLU's weights?"), preset="dead-relu"),
    )),
    Lesson("batch-size", "Choosing a batch size", "Noise, cost, the critical batch size and flat minima.", (
        Step("batch-size", "Noise vs cost", claim(batch.noisy_but_cheap,
                                                  "Per step and per example, who wins?"),
             said("What does each step of batch 1 cost, and what does it buy?"), preset="noisy-but-cheap"),
        Step("batch-size", "Linear scaling", claim(batch.double_double,
                                                   "Double the batch, double the step: the curves coincide."),
             "When does this rule stop working?", preset="double-double"),
        Step("batch-size", "The critical batch size", claim(batch.critical_batch,
                                                            "Past B_crit, bigger batches stop saving steps."),
             "Compare B_crit with the noise scale B_simple.", preset="critical-batch"),
        Step("batch-size", "Flat and sharp minima", claim(batch.flat_minima,
                                                          "Small batches end where the loss is flatter."),
             said("Does the flatter minimum generalise better here?"), preset="flat-minima"),
    )),
    Lesson("embeddings", "Reading a t-SNE plot", "Distill's warnings, one at a time.", (
        Step("pca-vs-tsne", "Sizes mean nothing", claim(emb.sizes,
                                                        "Two clusters, one ten times wider — in t-SNE the same size."),
             "Which plot would you trust for the spread of each cluster?", preset="sizes"),
        Step("pca-vs-tsne", "Distances may mean nothing", claim(emb.distances,
                                                                "Two close clusters and a far one."),
             "Raise the perplexity. Does the far cluster move away?", preset="distances"),
        Step("pca-vs-tsne", "Clusters from noise", claim(emb.noise,
                                                         "A Gaussian cloud at perplexity 2."),
             "How would you check whether clusters in a t-SNE plot are real?", preset="noise"),
        Step("pca-vs-tsne", "Global vs local", claim(emb.global_local,
                                                     "The swiss roll through PCA and t-SNE."),
             "Which numbers below the chart capture what each keeps?", preset="global-local"),
    )),
    Lesson("thresholds", "From a score to a decision", "Calibration, costs and rare events.", (
        Step("calibration", "The accuracy paradox", claim(cal.car_crash,
                                                          "A rare event makes accuracy meaningless."),
             "Which metrics still tell the truth?", preset="car-crash"),
        Step("calibration", "Over-confident probabilities", claim(cal.nb_isotonic,
                                                                  "Naive Bayes before and after isotonic regression."),
             "Why does duplicating features make naive Bayes over-confident?", preset="nb-isotonic"),
        Step("calibration", "Overfitting the calibration", claim(cal.isotonic_overfit,
                                                                 "Isotonic regression on 100 rows."),
             said("Compare the test ECE of isotonic, Platt and no calibration: which would you trust with 100 rows, "
                  "and why?"), preset="isotonic-overfit"),
        Step("calibration", "Where to draw the line", claim(cal.fraud,
                                                            "Block fraud at 0.8 or at 0.9?"),
             "Set the costs of each mistake. Where is the cheapest threshold?", preset="fraud"),
    )),
]}


def step_link(lesson: Lesson, index: int) -> dict:
    """The query parameters of step ``index`` (0-based) of ``lesson``."""
    step = lesson.steps[index]
    query = {LESSON_KEY: lesson.slug, STEP_KEY: str(index + 1), **{k: str(v) for k, v in step.values.items()}}
    if step.preset:
        query["preset"] = step.preset
    return query


def current(query: dict) -> tuple[Lesson, int | None] | None:
    """The lesson the link names and the 0-based index of the step it asks for (no step asked: the first);
    None for an unknown lesson. The index is None when the lesson has no such step (``step=99``, ``0``, ``-3``,
    ``abc``): guessing one would show a step's instructions on a page that is not showing that step."""
    lesson = LESSONS.get(query.get(LESSON_KEY) or "")
    if lesson is None:
        return None
    return lesson, step_index(lesson, query.get(STEP_KEY))


def step_index(lesson: Lesson, raw: str | None) -> int | None:
    """``raw`` (a link's 1-based step number) as a 0-based index into ``lesson.steps``, or None if it is not one."""
    text = (raw or "1").strip() or "1"
    # ASCII digits only, and few of them: int() also reads "+2", "1_0" and other scripts' digits, and refuses
    # strings of thousands of digits with an error
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    number = int(text)
    return number - 1 if 1 <= number <= len(lesson.steps) else None


def lesson_bar(page: str, pages: dict[str, str]) -> None:
    """The lesson's current step (what to look at, what to ask) with Previous / Next, if the link has one.

    ``pages`` maps url_path → page file, for switching pages.
    """
    found = current({k: st.query_params.get(k) for k in st.query_params})
    if found is None:
        return
    lesson, index = found
    with st.container(border=True, key="lesson-bar"):
        if index is None:
            no_such_step(lesson, st.query_params.get(STEP_KEY, ""), pages)
            return
        step = lesson.steps[index]
        st.markdown(f"**📚 {lesson.title}** — step {index + 1} of {len(lesson.steps)}: **{step.title}**")
        st.markdown(f"👀 {step.look}  \n❓ *{step.ask}*")
        back, _, forward = st.columns([1, 3, 1])
        if index > 0 and back.button("◀ Previous", key="lesson-prev", width="stretch"):
            _go(lesson, index - 1, pages)
        if index + 1 < len(lesson.steps):
            if forward.button("Next ▶", key="lesson-next", width="stretch", type="primary"):
                _go(lesson, index + 1, pages)
        else:
            forward.markdown("🎓 **The end.**")


def no_such_step(lesson: Lesson, asked: str, pages: dict[str, str]) -> None:
    """Say that the link's step does not exist and how many there are, and link the lesson's first step."""
    count, first = len(lesson.steps), lesson.steps[0]
    st.warning(said(f"**📚 {lesson.title}** has no step `{shown(asked)}`: it has {count} steps, numbered 1 to "
               f"{count}."), icon="🔢")
    st.page_link(pages[first.page], label=f"Start at step 1 of {count}: {first.title}", icon="▶️",
                 query_params=step_link(lesson, 0))


def _go(lesson: Lesson, index: int, pages: dict[str, str]) -> None:
    st.switch_page(pages[lesson.steps[index].page], query_params=step_link(lesson, index))
