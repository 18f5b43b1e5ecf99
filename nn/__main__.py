"""`python -m nn`: train a network on a built-in data set and show how it did.

With no arguments: micrograd's classic demo — an MLP(2, [16, 16, 1]) with ReLU learns the two
moons by the SVM hinge loss, an L2 penalty and SGD whose learning rate falls from 1.0 to 0.1.
It prints the train and test accuracy and writes a decision-boundary picture and a loss curve.
"""
import argparse
import os
import sys

import numpy as np

from . import data, optim
from .layers import ACTIVATIONS, INITIALISERS, MLP
from .losses import LOSSES
from .optim import OPTIMIZERS
from .train import evaluate, fit, outputs

TWO_CLASS_LOSSES = ("hinge", "bce_logits", "mse", "mae")
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "adamw": 0.05}


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _fraction(text):
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def _non_negative_float(text):
    return 0.0 if text in ("0", "0.0") else _positive_float(text)


def _sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of layer sizes such as 16,16") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: every layer needs at least one neuron")
    return sizes


def parser():
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train a multi-layer perceptron, built on chainrule's autograd, on a built-in "
                    "data set; print its train and test accuracy and draw what it learned.",
        epilog="With no options this is micrograd's moons demo. More to try:\n"
               "  python -m nn --dataset circles --activation tanh --optimizer adam\n"
               "  python -m nn --dataset spirals --optimizer adam --epochs 150\n"
               "  python -m nn --dataset digits --hidden 32 --epochs 3 --batch-size 32 "
               "--optimizer adam --lr 0.01",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=sorted(data.DATASETS), default="moons",
                   help="the data to learn; digits: 8x8 handwritten digits, 10 classes "
                        "(default: %(default)s)")
    p.add_argument("--samples", type=_positive_int, default=200,
                   help="how many samples to generate for the toy data sets (default: %(default)s)")
    p.add_argument("--noise", type=_non_negative_float, default=0.1,
                   help="the noise of the toy data sets (default: %(default)s)")
    p.add_argument("--test-size", type=_fraction, default=0.25,
                   help="the fraction of samples held out to test on (default: %(default)s)")
    p.add_argument("--hidden", type=_sizes, default=[16, 16], metavar="SIZES",
                   help="hidden layer sizes, comma separated; '' for none (default: 16,16)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                   help="the hidden layers' activation (default: %(default)s)")
    p.add_argument("--init", choices=sorted(INITIALISERS), default="uniform",
                   help="weight initialisation (default: %(default)s, micrograd's)")
    p.add_argument("--loss", choices=sorted(LOSSES), default=None,
                   help="the loss (default: hinge for two classes, cross_entropy for more)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd",
                   help="the update rule (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help="the learning rate (default: 1.0 for sgd, 0.05 for adam and adamw)")
    p.add_argument("--schedule", choices=["linear", "cosine", "constant"], default="linear",
                   help="how the learning rate changes over the epochs; linear falls to a "
                        "tenth (default: %(default)s)")
    p.add_argument("--l2", type=_non_negative_float, default=1e-4,
                   help="the weight of the L2 penalty on the parameters (default: %(default)s)")
    p.add_argument("--epochs", type=_positive_int, default=100,
                   help="passes over the training data (default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=None,
                   help="samples per update (default: all of them)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the data, the weights and the order (default: %(default)s)")
    p.add_argument("--out", default=".", help="the folder for the pictures (default: here)")
    p.add_argument("--no-plots", action="store_true", help="draw no pictures")
    p.add_argument("--save", metavar="PATH", help="save the trained model as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def load_data(args):
    if args.dataset == "xor":
        X, y = data.xor()
        return X, X, y, y  # four points: train and test on all of them
    if args.dataset == "digits":
        X, y = data.digits()
    elif args.dataset == "blobs":
        X, y = data.blobs(args.samples, std=max(args.noise, 1e-9) * 5, seed=args.seed)
    else:
        X, y = data.DATASETS[args.dataset](args.samples, noise=args.noise, seed=args.seed)
    return data.split(X, y, test_size=args.test_size, seed=args.seed)


def schedule_for(args):
    if args.schedule == "linear":
        return lambda opt: optim.LinearLR(opt, 1.0, 0.1, args.epochs)
    if args.schedule == "cosine":
        return lambda opt: optim.CosineAnnealingLR(opt, args.epochs)
    return None


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    X_train, X_test, y_train, y_test = load_data(args)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    loss = args.loss or ("hinge" if n_classes == 2 else "cross_entropy")
    if n_classes > 2 and loss in TWO_CLASS_LOSSES:
        p.error(f"--loss {loss} is for two classes; {args.dataset} has {n_classes}: "
                f"use --loss cross_entropy")
    if loss == "bce":
        p.error("--loss bce takes probabilities; the network ends in raw scores: "
                "use --loss bce_logits")
    n_outputs = n_classes if loss == "cross_entropy" else 1
    lr = args.lr or DEFAULT_LR[args.optimizer]
    if args.out and not args.no_plots:
        os.makedirs(args.out, exist_ok=True)

    model = MLP(X_train.shape[1], args.hidden + [n_outputs], activation=args.activation,
                init=args.init, seed=args.seed)
    print(f"{args.dataset}: {len(X_train)} training and {len(X_test)} test samples, "
          f"{n_classes} classes")
    print(f"model: {model}")
    print(f"loss: {loss}, optimizer: {args.optimizer} (lr {lr:g}, {args.schedule}), "
          f"l2: {args.l2:g}, epochs: {args.epochs}, batch size: {args.batch_size or 'all'}")
    try:
        history = fit(model, X_train, y_train, loss=loss, optimizer=args.optimizer, lr=lr,
                      epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                      l2=args.l2, schedule=schedule_for(args), progress=not args.quiet,
                      validation=(X_test, y_test))
    except FloatingPointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    train = evaluate(model, X_train, y_train, loss=loss)
    test = evaluate(model, X_test, y_test, loss=loss)
    print(f"train accuracy: {train['accuracy']:.1%}   test accuracy: {test['accuracy']:.1%}")

    if args.save:
        model.save(args.save)
        print(f"saved the model to {args.save}")
    if not args.no_plots:
        draw(args, model, history, X_train, y_train, X_test, y_test)
    return 0


def draw(args, model, history, X_train, y_train, X_test, y_test):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no pictures: pip install 'chainrule[plot]'",
              file=sys.stderr)
        return
    figure = history.plot()
    path = os.path.join(args.out, "loss_curve.png")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}")
    if X_train.shape[1] != 2:
        print("(no decision boundary: the data is not two-dimensional)")
        return
    path = os.path.join(args.out, "decision_boundary.png")
    figure = decision_boundary(model, X_train, y_train, X_test, y_test, plt)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}")


def decision_boundary(model, X_train, y_train, X_test, y_test, plt, steps=60):
    """The model's predicted class over a grid of the plane, with the samples on top."""
    X_all = np.concatenate([X_train, X_test])
    low, high = X_all.min(axis=0) - 0.5, X_all.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
    scores = np.array(outputs(model, grid))
    classes = scores.argmax(axis=1) if scores.ndim == 2 else (scores > 0).astype(int)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.contourf(xs, ys, classes.reshape(xs.shape), alpha=0.3, cmap="coolwarm")
    axis.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="coolwarm", s=22,
                 edgecolors="k", label="training")
    axis.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="coolwarm", s=40, marker="^",
                 edgecolors="k", label="test")
    axis.set_title("decision boundary")
    axis.legend(loc="upper right")
    figure.tight_layout()
    return figure


if __name__ == "__main__":
    sys.exit(main())
