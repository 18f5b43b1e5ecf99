"""Code a user might write against nn's public API, as the README and the docstrings show it:
tests/test_typing.py type-checks it with mypy --strict, so the annotations shipped with
py.typed must accept it as written."""
from pathlib import Path

import numpy as np

import nn
from autograd import Value
from nn.losses import mean

# ---- data, a model, training (README: "Networks: nn") ----

X, y = nn.data.moons(200, noise=0.1, seed=0)
X_train, X_test, y_train, y_test = nn.data.split(X, y, test_size=0.25, seed=0)
pixels, labels = nn.data.digits()
X_xor, y_xor = nn.data.xor()
blobs: tuple[np.ndarray, np.ndarray] = nn.data.blobs(90, centers=3, seed=1)

model = nn.MLP(2, [16, 16, 1], activation="tanh", init="xavier", seed=0)
history: nn.History = nn.fit(model, X_train, y_train, loss="bce_logits", optimizer="adam",
                             lr=0.05, epochs=60, batch_size=32, validation=(X_test, y_test),
                             progress=False, engine="auto")
last_loss: float = history["loss"][-1]
epochs: int = history.epochs
engine: str = history.engine
figure = history.plot()
scores: dict[str, float] = nn.evaluate(model, X_test, y_test, loss="bce_logits")
classes: np.ndarray = nn.predict(model, X_test, loss="bce_logits")
raw = nn.outputs(model, X_test)
share: float = nn.accuracy(classes, y_test)


def balanced_accuracy(predicted: list[int], true: list[int]) -> float:
    return float(np.mean([np.mean(np.array(predicted)[np.array(true) == k] == k)
                          for k in set(true)]))


nn.fit(model, X, y, loss=nn.losses.hinge, metrics=(nn.accuracy, balanced_accuracy),
       schedule=lambda optimizer: nn.optim.LinearLR(optimizer, 1.0, 0.1, total_iters=100),
       l2=1e-4, progress=False)

# ---- one output is a bare Value, several a list: the type says either ----

out = model(X[0])
if isinstance(out, Value):
    out.backward()
    print(f"{out:.3f}", float(out), out.item(), out.data)
several = nn.MLP(2, [4, 3], seed=0)(X[0])
assert isinstance(several, list)
first: Value = several[0]

# ---- what every Module has ----

params: list[Value] = model.parameters()
names: list[tuple[str, Value]] = model.named_parameters()
state: dict[str, float] = model.state_dict()
model.load_state_dict(state)
model.zero_grad()
model.save(Path("moons.json"))
model.save("moons.json")
same: nn.MLP = nn.MLP.from_file("moons.json")
again: nn.MLP = same.load("moons.json")
n_params: int = nn.MLP.parameter_count(nin=2, nouts=[16, 16, 1])
try:
    nn.Linear(2, 1).load("moons.json")
except nn.ModelFileError as error:
    print(error)

# ---- micrograd's names and its hand-written loop ----

neuron = nn.Neuron(2, nonlin=False)
one: Value = neuron([1.0, 2.0])
layer = nn.Layer(2, 3, seed=0)
micro = nn.MLP(2, [16, 16, 1])
for k in range(3):
    outputs = [micro(list(map(Value, row))) for row in X[:8]]
    losses = [(1 + -float(2 * t - 1) * o).relu() for t, o in zip(y[:8], outputs)
              if isinstance(o, Value)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in micro.parameters())
    total_loss = data_loss + reg_loss
    micro.zero_grad()
    total_loss.backward()
    for p in micro.parameters():
        p.data -= (1.0 - 0.9 * k / 100) * p.grad

# ---- PyTorch habits ----


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 8, seed=0)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(8, 1, seed=1)

    def forward(self, x: np.ndarray) -> Value | list[Value]:
        return self.fc2(self.act(self.fc1(x)))


net = Net()
print(len(net.parameters()), list(net.state_dict())[:2])
seq = nn.Sequential(nn.Linear(2, 8, seed=0), nn.ReLU(), nn.LeakyReLU(0.1), nn.Sigmoid(),
                    nn.Identity(), nn.Tanh(), nn.Linear(8, 1, seed=1))
seq = seq.append(nn.Identity())
head: nn.Module = seq[0]
tail: nn.Sequential = seq[1:]
for part in seq:
    print(part, len(seq))
fitted = nn.fit(seq, X_xor, y_xor, loss="bce_logits", lr=0.5, epochs=5, progress=False,
                engine="eager")
seq.save("xor.json")
rebuilt: nn.Sequential = nn.Sequential.from_file("xor.json")
xor_out = rebuilt(X_xor[1])  # whatever the last module gives
print(f"{xor_out:.3f}", net(X_xor[1]))
hidden: Value = nn.ReLU()(Value(-1.0))
row: list[Value] = nn.Tanh()([0.5, Value(1.0)])
kept: float = nn.Identity()(2.0)
children: list[nn.Module] = net.children()
for name, module in net.named_modules():
    print(name, module)
torch_model = net.to_torch()  # a torch.nn.Module (torch is optional: typed Any)
# nn.from_torch (nn/torch_bridge.py) is not annotated yet, so it is not called here

# ---- optimizers and schedules ----

sgd = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
adam = nn.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
adamw = nn.optim.AdamW(model.parameters())
schedules: list[nn.optim.Schedule] = [nn.optim.StepLR(sgd, step_size=10, gamma=0.5),
                                      nn.optim.LinearLR(adam, 1.0, 0.1, total_iters=100),
                                      nn.optim.CosineAnnealingLR(adamw, T_max=50)]
for optimizer in (sgd, adam, adamw):
    optimizer.zero_grad()
    loss = nn.losses.mse([model(x) for x in X_train[:4]], y_train[:4])
    loss.backward()
    optimizer.step()
for schedule in schedules:
    schedule.step()
rate: float = sgd.lr
vector: np.ndarray = adam.update(np.zeros(len(adam.params)), np.ones(len(adam.params)))
nn.fit(model, X, y, optimizer=nn.optim.SGD(model.parameters(), lr=0.5), progress=False)

# ---- losses ----

targets = [1.0, -1.0]
pair = [Value(0.3), Value(-0.2)]
for function in (nn.losses.mse, nn.losses.mae, nn.losses.hinge,
                 nn.losses.binary_cross_entropy_with_logits):
    value: Value = function(pair, targets)
probabilities = nn.losses.binary_cross_entropy([Value(0.7)], [1.0])
picked = nn.losses.cross_entropy([[Value(1.0), Value(2.0), Value(0.5)]], [2])
penalty: Value = nn.losses.l2(model.parameters(), 1e-4)


def pseudo_huber_term(outputs: list[Value], targets: list[float]) -> Value:
    return mean([((1 + (o - t) ** 2) ** 0.5 - 1) for o, t in zip(outputs, targets)])


pseudo_huber = nn.Loss(pseudo_huber_term, "pseudo_huber",
                       classify=nn.losses.threshold(0.0))
as_rows: np.ndarray = pseudo_huber.encode(y, 1)
nn.fit(model, X, y, loss=pseudo_huber, epochs=2, progress=False)
print(raw, share, figure, scores, names, again, n_params, one, layer, head, tail, fitted,
      hidden, row, kept, children, torch_model, rate, vector, probabilities, picked, penalty,
      blobs, pixels, labels, first, last_loss, epochs, engine)

# leaving for PyTorch and back (torch itself is optional: its objects are typed Any)
def round_trip(model: nn.MLP) -> nn.MLP:
    back: nn.Module = nn.from_torch(model.to_torch())
    same: nn.MLP = nn.from_torch(model.to_torch(), into=model)
    print(back)
    return same
