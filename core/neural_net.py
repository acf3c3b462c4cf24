"""A multilayer perceptron classifier in NumPy, with backpropagation written out layer by layer.

The network maps features to class probabilities through ``L`` layers:

.. math::

    a^{(0)} = x,\\qquad z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)},\\qquad a^{(l)} = \\phi_l(z^{(l)}),

with a hidden activation :math:`\\phi_l` per layer and a sigmoid (two classes) or softmax (K classes) at the
output. Training minimises the mean loss over a mini-batch plus a penalty on the weights (never the biases):

.. math:: J(\\theta) = \\frac1n \\sum_i \\ell(p_i, y_i) + \\alpha R(W),\\qquad
          R = \\tfrac12 \\sum w^2 \\ (\\text{L2})\\quad\\text{or}\\quad R = \\sum |w| \\ (\\text{L1}).

Names follow ``sklearn.neural_network.MLPClassifier`` (``hidden_layer_sizes``, ``activation`` with
``"identity"``, ``"logistic"``, ``"tanh"``, ``"relu"``, ``alpha``, ``batch_size``, ``learning_rate_init``,
``max_iter`` in epochs, ``coefs_``, ``intercepts_``, ``loss_curve_``, ``n_iter_``, ``t_``), with what
TensorFlow Playground adds: leaky ReLU, an activation per layer, L1, squared error as the loss, and every
optimizer of :mod:`core.optimizers`. One name means something else: ``alpha`` multiplies the penalty added to
the *mean* loss, as in TensorFlow Playground, where scikit-learn adds α/(2n)·Σw² (n the batch's size), so the same
α is n times stronger here than there. All weights live in one flat vector θ; ``coefs_`` and ``intercepts_`` are
views into it, so an optimizer sees the whole network as one point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.optimizers import make_optimizer, schedule_factors
from core.validation import (MAX_ABS, check_array, check_float, check_int, check_labels, check_mapping,
                             check_random_state)

MAX_LAYERS = 6
MAX_UNITS = 16
#: Leaky ReLU's slope for negative inputs.
LEAK = 0.01


# ------------------------------------------------------------------------------------------- activations
# Each backward function turns ∂J/∂a (the gradient reaching a layer's output) into ∂J/∂z (its input),
# given the layer's pre-activation z and activation a = φ(z): ∂J/∂z = ∂J/∂a ⊙ φ'(z).


def relu(z):
    return np.maximum(z, 0.0)


def relu_backward(grad, z, a):
    grad = grad.copy()
    grad[z <= 0] = 0.0  # φ'(z) = 0 where the unit is off: a unit that is off for every input learns nothing
    return grad


def leaky_relu(z):
    return np.where(z > 0, z, LEAK * z)


def leaky_relu_backward(grad, z, a):
    return np.where(z > 0, grad, LEAK * grad)  # a small slope keeps "off" units learning


def tanh(z):
    return np.tanh(z)


def tanh_backward(grad, z, a):
    return grad * (1.0 - a * a)  # tanh' = 1 − tanh²


def sigmoid(z):
    # Split by sign so exp never overflows: σ(z) = 1/(1+e^−z) = e^z/(1+e^z).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(grad, z, a):
    return grad * a * (1.0 - a)  # σ' = σ(1 − σ)


def identity(z):
    return z


def identity_backward(grad, z, a):
    return grad


@dataclass(frozen=True)
class Activation:
    name: str
    label: str
    latex: str
    forward: Callable
    backward: Callable


ACTIVATIONS = {a.name: a for a in [
    Activation("relu", "ReLU", r"\max(0, z)", relu, relu_backward),
    Activation("leaky_relu", "Leaky ReLU", r"\max(0.01z, z)", leaky_relu, leaky_relu_backward),
    Activation("tanh", "tanh", r"\tanh z", tanh, tanh_backward),
    Activation("logistic", "Sigmoid", r"\frac{1}{1+e^{-z}}", sigmoid, sigmoid_backward),
    Activation("identity", "Linear", r"z", identity, identity_backward),
]}
LOSSES = {"log_loss": "Cross-entropy", "squared_error": "Squared error"}
PENALTIES = {"none": "None", "l1": "L1", "l2": "L2"}


# ------------------------------------------------------------------------------------------- output layer


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)  # same result, no overflow
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_loss(p, Y, eps: float = 1e-12) -> float:
    """Mean cross-entropy −(1/n) Σᵢ Σₖ Yᵢₖ log pᵢₖ; a single sigmoid column counts its complement too."""
    p = np.clip(p, eps, 1 - eps)
    if p.shape[1] == 1:
        return float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))
    return float(-np.mean(np.sum(Y * np.log(p), axis=1)))


def squared_error(p, Y) -> float:
    """½ (1/n) Σᵢ ‖pᵢ − yᵢ‖² — TensorFlow Playground's loss, kept for comparison."""
    return float(0.5 * np.mean(np.sum((p - Y) ** 2, axis=1)))


def output_delta(p, Y, loss: str):
    """∂ℓ/∂z at the output for each example (not yet divided by n).

    Cross-entropy after a sigmoid or softmax gives the famous p − y. Squared error has to go through the
    output's derivative: σ'(z) = p(1 − p) for a sigmoid, and the softmax Jacobian diag(p) − ppᵀ, whose
    product with d = p − y is p ⊙ (d − d·p).
    """
    d = p - Y
    if loss == "log_loss":
        return d
    if p.shape[1] == 1:
        return d * p * (1 - p)
    return p * (d - np.sum(d * p, axis=1, keepdims=True))


# ------------------------------------------------------------------------------------------- the network


class MLPClassifier:
    """A fully connected network trained by mini-batch gradient descent with any optimizer of the app.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, 0–6 layers of 1–16 units; ``()`` is logistic (softmax) regression.
    activation : str or tuple of str, one of :data:`ACTIVATIONS`, for all hidden layers or one per layer.
    output : "auto", "sigmoid" or "softmax"; auto is a sigmoid for two classes and softmax for more.
    loss : "log_loss" (cross-entropy) or "squared_error".
    penalty : "none", "l1" or "l2"; ``alpha`` is its rate α.
    solver : an optimizer name from :data:`core.optimizers.OPTIMIZERS`; ``solver_params`` its other settings.
    learning_rate_init : the base learning rate η.
    schedule : a learning-rate schedule from :data:`core.optimizers.SCHEDULES`, stepped once per epoch over
        ``max_iter`` epochs (``schedule_params`` its settings).
    batch_size : examples per update (capped at the training-set size); batches are reshuffled every epoch.
    max_iter : epochs run by :meth:`fit`.
    random_state : seeds the initial weights and the batch order.

    Attributes
    ----------
    coefs_, intercepts_ : lists of (n_in, n_out) and (n_out,) arrays, views into the flat ``theta_``.
    classes_, n_outputs_, out_activation_ ("logistic" or "softmax"), loss_curve_ (objective per epoch on the
    training data), n_iter_ (epochs run), t_ (updates run), solver_start_ (updates run before the current
    optimizer state began: 0, or when :meth:`set_params` changed the solver).
    """

    def __init__(self, hidden_layer_sizes=(4, 2), activation="tanh", *, output="auto", loss="log_loss",
                 penalty="none", alpha=0.0, solver="sgd", learning_rate_init=0.03, schedule="constant",
                 schedule_params=None, batch_size=10, max_iter=100, random_state=0, solver_params=None):
        try:
            self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be a tuple of units per layer, e.g. (4, 2), got "
                             f"{hidden_layer_sizes!r}.") from None
        self.activation = activation
        self.output = output
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.schedule = schedule
        self.schedule_params = check_mapping("schedule_params", schedule_params)
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.solver_params = check_mapping("solver_params", solver_params)
        self.check_params()

    # ---------------------------------------------------------------- set-up

    #: What a trained network cannot change without new weights.
    SHAPE_PARAMS = ("hidden_layer_sizes", "activation", "output")

    def set_params(self, **params):
        """Change hyperparameters, as scikit-learn's ``set_params``; returns the network.

        On a trained network, training then goes on (``partial_fit``) from its current weights under the new
        settings: a new learning rate, penalty, batch size or schedule applies from the next epoch, and the
        optimizer keeps its state (momentum, Adam's averages). A new ``solver`` starts from a fresh state, its
        step count (Adam's bias correction) from 1. What shapes the network (``SHAPE_PARAMS``) can only change
        before training, or through ``fit``. Invalid values raise ``ValueError`` and change nothing.
        """
        names = {"hidden_layer_sizes", "activation", "output", "loss", "penalty", "alpha", "solver",
                 "learning_rate_init", "schedule", "schedule_params", "batch_size", "max_iter", "random_state",
                 "solver_params"}
        unknown = sorted(set(params) - names)
        if unknown:
            raise ValueError(f"MLPClassifier has no parameter {', '.join(unknown)}; it has {', '.join(sorted(names))}.")
        trained = hasattr(self, "theta_")
        if trained and any(name in params and params[name] != getattr(self, name) for name in self.SHAPE_PARAMS):
            raise ValueError("hidden_layer_sizes, activation and output shape a trained network: call fit to train "
                             "a new one.")
        old = {name: getattr(self, name) for name in names}
        old_optimizer, old_factors = getattr(self, "optimizer_", None), getattr(self, "lr_factors_", None)
        for name, value in params.items():
            setattr(self, name, check_mapping(name, value) if name.endswith("_params")
                    else tuple(value) if name == "hidden_layer_sizes" and isinstance(value, (list, tuple)) else value)
        try:
            self.check_params()
        except ValueError:
            for name, value in old.items():
                setattr(self, name, value)
            self.optimizer_, self.lr_factors_ = old_optimizer, old_factors
            raise
        if trained and self.solver != old["solver"]:
            self.state_ = self.optimizer_.init_state(self.theta_)
            self.solver_start_ = self.t_
        return self

    def check_params(self) -> None:
        """Raise a ValueError saying what to change if a hyperparameter is out of range (fit calls it)."""
        if len(self.hidden_layer_sizes) > MAX_LAYERS:
            raise ValueError(f"Use at most {MAX_LAYERS} hidden layers, got {len(self.hidden_layer_sizes)}.")
        for size in self.hidden_layer_sizes:
            check_int("units per hidden layer", size, low=1, high=MAX_UNITS)
        for name in self.activations:
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}.")
        if self.output not in ("auto", "sigmoid", "softmax"):
            raise ValueError(f"output must be auto, sigmoid or softmax, got {self.output!r}.")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}.")
        if not isinstance(self.penalty, str) or self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {', '.join(PENALTIES)}, got {self.penalty!r}.")
        check_float("regularisation rate alpha", self.alpha, low=0.0)
        check_int("batch size", self.batch_size, low=1)
        check_int("epochs (max_iter)", self.max_iter, low=1, high=100_000)
        check_random_state(self.random_state)
        self.optimizer_ = make_optimizer(self.solver, lr=self.learning_rate_init, **self.solver_params)
        self.lr_factors_ = schedule_factors(self.schedule, self.max_iter, **self.schedule_params)

    @property
    def activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden_layer_sizes)
        if not isinstance(self.activation, (list, tuple)):
            raise ValueError(f"activation must be a name or a list of names, one per hidden layer, got "
                             f"{self.activation!r}.")
        if len(self.activation) != len(self.hidden_layer_sizes):
            raise ValueError(f"Give one activation per hidden layer: {len(self.hidden_layer_sizes)} layers, "
                             f"{len(self.activation)} activations.")
        return tuple(self.activation)

    def initialize(self, n_features: int, classes) -> None:
        """Fresh weights for ``n_features`` inputs and these ``classes`` (fit calls it; so do warm starts)."""
        self.classes_ = np.asarray(classes)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError("Training needs at least two classes in the training data.")
        softmax_out = self.output == "softmax" or (self.output == "auto" and n_classes > 2)
        if not softmax_out and n_classes > 2:
            raise ValueError(f"A sigmoid output separates two classes; these data have {n_classes}. "
                             "Choose the softmax output.")
        self.out_activation_ = "softmax" if softmax_out else "logistic"
        self.n_outputs_ = n_classes if softmax_out else 1
        self.layer_units_ = [n_features, *self.hidden_layer_sizes, self.n_outputs_]
        shapes = list(zip(self.layer_units_[:-1], self.layer_units_[1:]))
        self.theta_ = np.empty(sum(i * o + o for i, o in shapes))
        self.bind(self.theta_)
        # Glorot-uniform weights (as scikit-learn, whose factor is 2 for a sigmoid), zero biases.
        rng = check_random_state(self.random_state)
        acts = [*self.activations, "logistic" if not softmax_out else "identity"]
        for W, b, act in zip(self.coefs_, self.intercepts_, acts):
            factor = 2.0 if act == "logistic" else 6.0
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = 0.0
        self.state_ = self.optimizer_.init_state(self.theta_)
        self.rng_ = rng
        self.loss_curve_, self.n_iter_, self.t_, self.solver_start_ = [], 0, 0, 0

    def bind(self, theta: np.ndarray) -> None:
        """Point ``coefs_`` and ``intercepts_`` at their slices of the flat vector ``theta``."""
        self.coefs_, self.intercepts_ = self.unpack(theta)

    def unpack(self, theta):
        """``(coefs, intercepts)``: views of the flat parameter vector ``theta``, layer by layer."""
        coefs, intercepts, at = [], [], 0
        for n_in, n_out in zip(self.layer_units_[:-1], self.layer_units_[1:]):
            coefs.append(theta[at:at + n_in * n_out].reshape(n_in, n_out))
            at += n_in * n_out
            intercepts.append(theta[at:at + n_out])
            at += n_out
        return coefs, intercepts

    def targets(self, y) -> np.ndarray:
        """Labels as the output layer's targets: a 0/1 column for a sigmoid, one-hot rows for softmax."""
        index = np.searchsorted(self.classes_, y)
        if self.n_outputs_ == 1:
            return index.reshape(-1, 1).astype(float)
        return np.eye(self.n_outputs_)[index]

    # ---------------------------------------------------------------- forward and backward

    def forward(self, X, theta=None):
        """Pre-activations ``zs`` and activations ``activations`` of every layer (``activations[0]`` is X)."""
        coefs, intercepts = self.unpack(self.theta_ if theta is None else theta)
        activations, zs = [np.asarray(X, dtype=float)], []
        out_fn = sigmoid if self.out_activation_ == "logistic" else softmax
        fns = [ACTIVATIONS[name].forward for name in self.activations] + [out_fn]
        for W, b, fn in zip(coefs, intercepts, fns):
            z = activations[-1] @ W + b
            zs.append(z)
            activations.append(fn(z))
        return zs, activations

    def objective(self, theta, X, Y) -> float:
        """J(θ) on (X, Y): mean loss plus α·R(W) (targets Y as from :meth:`targets`)."""
        _, activations = self.forward(X, theta)
        data = log_loss(activations[-1], Y) if self.loss == "log_loss" else squared_error(activations[-1], Y)
        return data + self.alpha * self.weight_penalty(self.unpack(theta)[0])

    def weight_penalty(self, coefs) -> float:
        """The penalty on the weights ``coefs`` before ``alpha``: ½Σw² (l2), Σ|w| (l1) or 0."""
        if self.penalty == "l2":
            return 0.5 * sum(float(np.sum(W * W)) for W in coefs)
        if self.penalty == "l1":
            return sum(float(np.sum(np.abs(W))) for W in coefs)
        return 0.0

    def gradient(self, theta, X, Y) -> np.ndarray:
        """∇J(θ) by backpropagation, as one flat vector shaped like θ.

        Going back from the output, layer l receives δ = ∂J/∂z⁽ˡ⁾ and produces
        ∂J/∂W⁽ˡ⁾ = a⁽ˡ⁻¹⁾ᵀ δ (+ the penalty's gradient), ∂J/∂b⁽ˡ⁾ = Σᵢ δᵢ, and for the layer below
        ∂J/∂a⁽ˡ⁻¹⁾ = δ W⁽ˡ⁾ᵀ, which that layer's activation turns into its own δ.
        """
        coefs, _ = self.unpack(theta)
        zs, activations = self.forward(X, theta)
        grad = np.empty_like(theta)
        grad_coefs, grad_intercepts = self.unpack(grad)
        delta = output_delta(activations[-1], Y, self.loss) / len(X)
        for l in range(len(coefs) - 1, -1, -1):
            grad_coefs[l][...] = activations[l].T @ delta + self.alpha * self._penalty_gradient(coefs[l])
            grad_intercepts[l][...] = delta.sum(axis=0)
            if l > 0:
                backward = ACTIVATIONS[self.activations[l - 1]].backward
                delta = backward(delta @ coefs[l].T, zs[l - 1], activations[l])
        return grad

    def per_example_gradients(self, theta, X, Y) -> np.ndarray:
        """The gradient of each example's objective ℓ(pᵢ, yᵢ) + α·R(W): an (n, P) array, one row per example.

        The same backward pass as :meth:`gradient`, keeping the example axis instead of summing over it:
        example i's weight gradient in layer l is the outer product a⁽ˡ⁻¹⁾ᵢ δᵢᵀ, its bias gradient δᵢ. The
        penalty is part of every example's objective, so its gradient is added to every row, and the mean of
        the rows is :meth:`gradient` (up to rounding). Memory is n·P floats, small for the app's networks.
        """
        coefs, _ = self.unpack(theta)
        zs, activations = self.forward(X, theta)
        # Where each layer's weights and biases sit in θ, as index arrays shaped like them.
        coef_at, intercept_at = self.unpack(np.arange(len(theta)))
        grads = np.empty((len(activations[0]), len(theta)))
        delta = output_delta(activations[-1], Y, self.loss)  # ∂ℓᵢ/∂z per example: no 1/n here
        for l in range(len(coefs) - 1, -1, -1):
            grads[:, coef_at[l]] = (np.einsum("ni,nj->nij", activations[l], delta)
                                    + self.alpha * self._penalty_gradient(coefs[l]))
            grads[:, intercept_at[l]] = delta
            if l > 0:
                backward = ACTIVATIONS[self.activations[l - 1]].backward
                delta = backward(delta @ coefs[l].T, zs[l - 1], activations[l])
        return grads

    def _penalty_gradient(self, W):
        if self.penalty == "l2":
            return W
        if self.penalty == "l1":
            return np.sign(W)  # the subgradient 0 at w = 0
        return 0.0

    # ---------------------------------------------------------------- training

    def fit(self, X, y):
        """Train from fresh weights for ``max_iter`` epochs.

        Raises ``ValueError`` if training diverges (the loss or a weight stops being a finite number); the
        network then keeps the weights of the last finite epoch.
        """
        X, y = _check_xy(X, y)
        self.initialize(X.shape[1], np.unique(y))
        for _ in range(self.max_iter):
            self._diverging_epoch(X, y)
        return self

    def partial_fit(self, X, y, classes=None):
        """One more epoch, continuing from the current weights and optimizer state (``ValueError`` if it diverges,
        keeping the weights from before it)."""
        X, y = _check_xy(X, y)
        if not hasattr(self, "theta_"):
            self.initialize(X.shape[1], np.unique(y if classes is None else check_labels("classes", classes)))
        elif X.shape[1] != self.layer_units_[0]:
            raise ValueError(f"The network takes {self.layer_units_[0]} features, X has {X.shape[1]}.")
        if not np.all(np.isin(y, self.classes_)):
            raise ValueError(f"y holds labels outside the network's classes {self.classes_.tolist()}.")
        self._diverging_epoch(X, y)
        return self

    def _diverging_epoch(self, X, y) -> None:
        """:meth:`epoch`, raising (after stepping back to the weights before it) if it overflowed."""
        good, good_state, epochs, steps = self.theta_.copy(), dict(self.state_), self.n_iter_, self.t_
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected below, not warned about
            self.epoch(X, y)
        if np.isfinite(self.loss_curve_[-1]) and np.all(np.isfinite(self.theta_)):
            return
        self.theta_, self.state_, self.n_iter_, self.t_ = good, good_state, epochs, steps
        self.bind(good)
        self.loss_curve_.pop()
        raise ValueError(f"Training diverged in epoch {epochs + 1}: the loss stopped being a finite number. "
                         "Lower learning_rate_init (or scale the features down).")

    def epoch(self, X, y) -> None:
        """One pass over shuffled mini-batches; the schedule's factor holds for the whole epoch."""
        Y = self.targets(y)
        order = self.rng_.permutation(len(X))
        batch = min(self.batch_size, len(X))
        lr = self.learning_rate_init * self.lr_factors_[min(self.n_iter_, self.max_iter - 1)]
        theta, state = self.theta_, self.state_
        for start in range(0, len(X), batch):
            rows = order[start:start + batch]
            self.t_ += 1
            # the optimizer counts its own steps (Adam's bias correction) from when its state began
            step = self.t_ - self.solver_start_
            theta, state = self.optimizer_.step(theta, self.gradient(theta, X[rows], Y[rows]), state, step, lr)
        self.theta_, self.state_ = theta, state
        self.bind(theta)
        self.n_iter_ += 1
        self.loss_curve_.append(self.objective(theta, X, Y))

    # ---------------------------------------------------------------- prediction

    def checked_forward(self, X):
        """:meth:`forward` on rows a person passed: a fitted network, a finite table of the right width, and
        outputs that did not overflow."""
        if not hasattr(self, "theta_"):
            raise ValueError("This network has not been trained yet; call fit(X, y) first.")
        X = check_array("X", X, ndim=2, max_abs=MAX_ABS)
        if X.shape[1] != self.layer_units_[0]:
            raise ValueError(f"The network takes {self.layer_units_[0]} features, X has {X.shape[1]}.")
        with np.errstate(over="ignore", invalid="ignore"):
            zs, activations = self.forward(X)
        if not all(np.all(np.isfinite(a)) for a in activations):
            raise ValueError("The network's outputs overflow on these inputs (its weights are huge: training "
                             "diverged); lower the learning rate and train again.")
        return zs, activations

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes) (a sigmoid's p becomes the columns 1 − p, p)."""
        return self.as_proba(self.checked_forward(X)[1][-1])

    def as_proba(self, p: np.ndarray) -> np.ndarray:
        """The output layer's values as class probabilities (core.training reuses a forward pass it made)."""
        return np.hstack([1 - p, p]) if self.n_outputs_ == 1 else p

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)  # first: it says so if the network is not trained yet
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y) -> float:
        """Accuracy, as scikit-learn's ``score``."""
        predicted = self.predict(X)
        y = check_labels("y", y, len(predicted))
        if len(y) == 0:
            raise ValueError("score needs at least one example, got none.")
        return float(np.mean(predicted == y))

    def hidden_activations(self, X) -> list[np.ndarray]:
        """What every hidden unit computes at each row of X: one (n, units) array per hidden layer."""
        return self.checked_forward(X)[1][1:-1]

    def dead_units(self, X) -> list[np.ndarray]:
        """Per hidden layer, which ReLU units output 0 for every row of X ("dead": no input switches them on,
        so by the ReLU rule no gradient reaches their weights and they never recover). Other activations
        never die and are reported False."""
        zs = self.checked_forward(X)[0][:-1]
        return [np.all(z <= 0, axis=0) if name == "relu" else np.zeros(z.shape[1], bool)
                for z, name in zip(zs, self.activations)]


def _check_xy(X, y, x_name: str = "X", y_name: str = "y"):
    X, y = check_array(x_name, X, finite=False), check_labels(y_name, y)
    if X.ndim != 2 or X.size == 0:
        raise ValueError(f"{x_name} must be a non-empty table of shape (n_samples, n_features), got shape {X.shape}.")
    if y.shape != (len(X),):
        raise ValueError(f"{y_name} must hold one label per row of {x_name}: {len(X)} rows, labels of shape {y.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{x_name} contains missing or infinite values.")
    if np.max(np.abs(X)) > MAX_ABS:  # the forward pass and the penalty square and sum these
        raise ValueError(f"{x_name} holds values as large as {np.max(np.abs(X)):.3g}; rescale it to within "
                         f"±{MAX_ABS:g}.")
    return X, y


def _check_test_xy(X, y, n_features: int):
    """Test data like the training data (``n_features`` columns), or empty: no test data."""
    X, y = check_array("X_test", X, finite=False), check_labels("y_test", y)
    if X.size == 0 and y.size == 0:
        return np.empty((0, n_features)), np.empty(0)
    X, y = _check_xy(X, y, "X_test", "y_test")
    if X.shape[1] != n_features:
        raise ValueError(f"X_test has {X.shape[1]} features, X_train {n_features}.")
    return X, y
