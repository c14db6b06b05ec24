# ruff: noqa: F821 (torch, nn, DataLoader, TensorDataset: the imports the test puts in front)
"""Weight decay the way textbooks teach it with PyTorch, in the shape of the weight-decay chapter
of Dive into Deep Learning (d2l.ai): high-dimensional linear regression with few examples, an L2
penalty written by hand and a hand-written minibatch SGD step under no_grad (`param -= ...`, the
idiom that must change the weights in place), then the concise version with nn.Linear, MSELoss
and per-group weight_decay. Written for tinyreg's tests, not a copy of the chapter's code."""


def init_params(num_inputs):
    w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_scratch(params, X, y, lambd, num_epochs=10, lr=0.003, batch_size=5):
    w, b = params
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=False)
    norms = []
    for _ in range(num_epochs):
        for Xb, yb in loader:
            loss = squared_loss(linreg(Xb, w, b), yb) + lambd * l2_penalty(w)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
        norms.append(torch.norm(w).item())
    return norms


def make_concise(num_inputs):
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    for param in net.parameters():
        nn.init.normal_(param)
    return net


def train_concise(net, X, y, wd, num_epochs=10, lr=0.003, batch_size=5):
    loss = nn.MSELoss(reduction="none")
    trainer = torch.optim.SGD(
        [{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr
    )
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=False)
    norms = []
    for _ in range(num_epochs):
        for Xb, yb in loader:
            trainer.zero_grad()
            batch_loss = loss(net(Xb), yb)
            batch_loss.mean().backward()
            trainer.step()
        norms.append(net[0].weight.norm().item())
    return norms
