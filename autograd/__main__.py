"""`python -m autograd`: the chain rule on one sigmoid neuron, with the numbers.

The worked example of the source texts: z = w·x + b, y = σ(z), E = ½(t − y)². Each partial
derivative is multiplied out by hand, then compared with backward() and with finite differences.

It takes no arguments but --help; anything else is refused with one line and exit code 2. Its
output may be cut short (`python -m autograd | head -1`) without a traceback.
"""
import argparse
import os
import sys

from autograd import Value, gradcheck

PROG = "python -m autograd"


class _Parser(argparse.ArgumentParser):
    """argparse, but a refusal is one line (the usage is one --help away), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser():
    return _Parser(
        prog=PROG,
        description="The chain rule on one sigmoid neuron, with the numbers: z = w·x + b, "
                    "y = sigmoid(z), E = ½(t − y)². Prints the forward pass, each partial "
                    "derivative multiplied out by hand, the same from backward(), a check "
                    "against central finite differences, and one gradient-descent step.",
        epilog="It takes no other arguments. For a network that learns, see python -m nn "
               "--help.")


def neuron_error(x, w, b, target):
    z = w * x + b
    y = z.sigmoid()
    return 0.5 * (target - y) ** 2, z, y


def main(argv=None):
    parser().parse_args(argv)
    try:
        demo()
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at exit
    except BrokenPipeError:  # the reader stopped reading (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit fails no more
        os.close(devnull)
    return 0


def demo():
    x, target, learning_rate = 1.5, 0.0, 0.5
    w, b = Value(0.8, label="w"), Value(0.2, label="b")

    error, z, y = neuron_error(x, w, b, target)
    print("Forward pass")
    print(f"  z = w·x + b        = {w.data}·{x} + {b.data} = {z.data:.6f}")
    print(f"  y = sigmoid(z)     = {y.data:.6f}")
    print(f"  E = ½(t − y)²      = ½({target} − {y.data:.6f})² = {error.data:.6f}")

    dE_dy = y.data - target
    dy_dz = y.data * (1 - y.data)
    print("\nBackward pass by hand (chain rule)")
    print(f"  ∂E/∂y = y − t      = {dE_dy:.6f}")
    print(f"  ∂y/∂z = y(1 − y)   = {dy_dz:.6f}")
    print(f"  ∂E/∂w = ∂E/∂y · ∂y/∂z · x = {dE_dy * dy_dz * x:.6f}")
    print(f"  ∂E/∂b = ∂E/∂y · ∂y/∂z · 1 = {dE_dy * dy_dz:.6f}")

    error.backward()
    print("\nBackward pass by the engine (error.backward())")
    print(f"  w.grad = {w.grad:.6f}")
    print(f"  b.grad = {b.grad:.6f}")

    report = gradcheck(lambda w, b: neuron_error(x, w, b, target)[0], [w.data, b.data])
    print("\nChecked against central finite differences")
    print("  " + repr(report).replace("\n", "\n  "))

    w.data -= learning_rate * w.grad
    b.data -= learning_rate * b.grad
    new_error = neuron_error(x, w, b, target)[0]
    print(f"\nOne gradient-descent step (w ← w − η·∂E/∂w, η = {learning_rate})")
    print(f"  w = {w.data:.6f}, b = {b.data:.6f}: E falls from {error.data:.6f} "
          f"to {new_error.data:.6f}")


if __name__ == "__main__":
    sys.exit(main())
