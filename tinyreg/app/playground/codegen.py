"""`Show the code`: the tinyreg script that trains the playground's current configuration.

`script(config, steps)` writes plain tinyreg: the data, `tr.manual_seed`, the model, the
optimizer with its proximal steps, the penalty and the training loop of `session.Learner.step`,
spelled out. Run with Python it prints the same numbers as the page's `window.playground.state()`
after the same number of steps (tests/test_playground_session.py runs it and compares). Knobs
changed while training are not replayed: the script trains the configuration as it is now, from
the start.
"""

from __future__ import annotations

from typing import Any

from .config import to_query
from .data import HOLDOUT

ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
                    "leaky_relu": "LeakyReLU", "elu": "ELU"}  # fmt: skip


def _data_lines(config: dict[str, Any]) -> tuple[str, list[str]]:
    """(the import of the data's maker, the lines that make `parts`: the training, validation
    and test (X, y))."""
    name, seed = config["dataset"], config["seed"]
    if name == "custom":
        return ("from tinyreg.app.playground.data import parse_csv",
                ["# your points: x1,x2,label per row (the file you uploaded)",
                 'with open("points.csv") as f:', "    X, y = parse_csv(f.read())",
                 f"parts = train_val_test_split(X, y, val=0.2, test=0.2, seed={seed})",
                 ])  # fmt: skip
    n = config["train_size"] + 2 * HOLDOUT
    make = {"moons": f"make_moons({n}, noise={config['noise']!r}, seed={seed})",
            "spirals": f"make_spirals({n}, classes=2, noise={config['noise']!r}, seed={seed})",
            "circles": f"make_circles({n}, noise={config['noise']!r}, seed={seed})",
            "xor": f"make_xor({n}, noise={config['noise']!r}, seed={seed})"}[name]  # fmt: skip
    return f"from tinyreg.datasets import {make.split('(')[0]}", [
            f"# {config['train_size']} training, {HOLDOUT} validation and {HOLDOUT} test points",
            f"X, y = {make}",
            f"parts = train_val_test_split(X, y, val={HOLDOUT} / {n}, test={HOLDOUT} / {n}, "
            f"seed={seed})"]  # fmt: skip


def _model_lines(config: dict[str, Any]) -> list[str]:
    """`model = nn.Sequential(...)`, one line per layer."""
    layers = [f"nn.GaussianNoise({config['augmentation']!r}),  # input noise: augmentation"
              ] if config["augmentation"] else []  # fmt: skip
    width = 2
    for hidden in config["hidden"]:
        block = [f"nn.Dense({width}, {hidden})"]
        if config["batch_norm"]:
            block.append(f"nn.BatchNorm1d({hidden})")
        block.append(f"nn.{ACTIVATION_NAMES[config['activation']]}()")
        if config["dropout"]:
            block.append(f"nn.Dropout({config['dropout']!r})")
        layers.append(", ".join(block) + ",")
        width = hidden
    layers.append(f"nn.Dense({width}, classes),")
    return ["model = nn.Sequential(", *(f"    {line}" for line in layers), ")"]


def _optimizer_lines(config: dict[str, Any]) -> list[str]:
    """The proximal steps, the optimizer, the penalty and MixUp."""
    prox = []
    if config["l1_prox"]:
        prox.append(f"reg.L1({config['l1_prox']!r})")
    if config["group_lasso"]:
        prox.append(f"reg.GroupLasso({config['group_lasso']!r})")
    if config["max_norm"]:
        prox.append(f"reg.MaxNorm({config['max_norm']!r})")
    kind, lr, wd = config["optimizer"], config["lr"], config["weight_decay"]
    extra = f", momentum={config['momentum']!r}" if kind == "sgd" else ""
    name = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}[kind]
    head = f"optimizer = optim.{name}(model.parameters(), lr={lr!r}{extra}, weight_decay={wd!r}"
    lines = ([f"{head},", f"    prox=[{', '.join(prox)}])  # after each update, in this order"]
             if prox else [f"{head})"])  # fmt: skip
    l1, l2 = config["l1"], config["l2"]
    if l1 or l2:
        penalty = (f"reg.ElasticNet({l1!r}, {l2!r})" if l1 and l2 else
                   f"reg.L1({l1!r})" if l1 else f"reg.L2({l2!r})")  # fmt: skip
        lines.append(f"penalty = {penalty}  # a loss term (subgradient)")
    if config["mixup"]:
        lines.append(f"mixup = MixUp({config['mixup']!r}, num_classes=classes)")
    if config["early_stopping"]:
        lines.append("best = Best('min', copy_weights=model.state_dict)  # the one best rule")
    return lines


def _step_lines(config: dict[str, Any]) -> list[str]:
    """The body of one training step (inside the loop over batches)."""
    lines = ["xb, yb = X_train[rows], y_train[rows]"]
    if config["mixup"]:
        lines += ["xb, yb = mixup(xb[:, None], yb)  # points as 1x2 images; soft labels",
                  "xb = xb[:, 0]"]  # fmt: skip
    smoothing = config["label_smoothing"]
    lines += ["optimizer.zero_grad()",
              "loss = F.cross_entropy(model(tr.tensor(xb)), yb"
              + (f", label_smoothing={smoothing!r})" if smoothing else ")"),
              *(["loss = loss + penalty(model)"] if config["l1"] or config["l2"] else []),
              "if not math.isfinite(loss.item()):",
              "    raise SystemExit(f'the loss became {loss.item()} at step {step + 1}')",
              "loss.backward()", "optimizer.step()"]  # fmt: skip
    if config["batch_norm"]:
        return ["if len(rows) > 1:  # BatchNorm needs two rows", *("    " + x for x in lines)]
    return lines


def script(config: dict[str, Any], steps: int) -> str:
    """The tinyreg script that trains `config` for `steps` steps (early stopping may stop it
    sooner) and prints the numbers of `window.playground.state()` as JSON."""
    data_import, data_lines = _data_lines(config)
    library = {"tinyreg": "nn, optim, reg", "tinyreg.datasets": "train_val_test_split",
               "tinyreg.nn": "functional as F"}  # fmt: skip
    source, name = data_import.removeprefix("from ").split(" import ")
    library[source] = ", ".join(sorted(filter(None, [name, library.get(source)])))
    if config["early_stopping"]:
        library["tinyreg.utils.best"] = "Best"
    if config["mixup"]:
        library["tinyreg.vision.transforms"] = "MixUp"
    imports = [
        "import json",
        "import math",
        "",
        "import tinyreg as tr",
        *(f"from {module} import {names}" for module, names in sorted(library.items())),
    ]
    end_epoch = [
        "    else:  # the epoch is over",
        "        loss, accuracy = evaluate(X_train, y_train)",
        "        val_loss, val_accuracy = evaluate(X_val, y_val)",
        "        print(f'epoch {epoch + 1}: loss {loss:.4f}, accuracy {accuracy:.3f}, '",
        "              f'val_loss {val_loss:.4f}, val_accuracy {val_accuracy:.3f}')",
    ]
    if config["early_stopping"]:
        end_epoch += ["        best.update(val_loss, epoch)",
                      f"        if epoch - best.epoch >= {config['early_stopping']}:  # patience",
                      "            model.load_state_dict(best.weights)  # restore the best",
                      "            print(f'early stopping: the weights of epoch "
                      "{best.epoch + 1} restored')",
                      "            stopped = True"]  # fmt: skip
    end_epoch.append("        epoch += 1")
    lines = [
        f'"""tinyreg playground: ?{to_query(config)}',
        "",
        "The configuration trained from the start (knobs changed while it trained are not",
        'replayed); prints the numbers the page shows at the same step."""',
        "",
        *imports,
        "",
        *data_lines,
        "(X_train, y_train), (X_val, y_val), (X_test, y_test) = parts",
        "classes = int(y.max()) + 1",
        "",
        f"tr.manual_seed({config['seed']})  # the initial weights, batches, dropout and noise",
        *_model_lines(config),
        *_optimizer_lines(config),
        "",
        "",
        "def evaluate(X, y):",
        '    """(cross-entropy, accuracy) in eval mode: no dropout, no noise, running BatchNorm',
        '    statistics."""',
        "    model.eval()",
        "    with tr.no_grad():",
        "        out = model(tr.tensor(X))",
        "        loss = F.cross_entropy(out, y).item()",
        "    model.train()",
        "    return loss, float((out.numpy().argmax(axis=1) == y).mean())",
        "",
        "",
        f"steps, batch_size = {steps}, {config['batch_size']}",
        "step, epoch, stopped = 0, 0, False",
        "while step < steps and not stopped:",
        "    order = tr.randperm(len(X_train)).numpy()  # a new order each epoch",
        "    for start in range(0, len(X_train), batch_size):",
        "        if step == steps:",
        "            break",
        "        rows = order[start : start + batch_size]",
        *("        " + line for line in _step_lines(config)),
        "        step += 1",
        *end_epoch,
        "",
        "train_loss, _ = evaluate(X_train, y_train)",
        "val_loss, val_accuracy = evaluate(X_val, y_val)",
        "zero_fraction = reg.sparsity(reg.penalized(model))  # exact zeros among Dense weights",
        'print(json.dumps({"step": step, "train_loss": train_loss, "val_loss": val_loss,',
        '                  "val_accuracy": val_accuracy, "zero_fraction": zero_fraction}))',
    ]
    return "\n".join(lines) + "\n"
