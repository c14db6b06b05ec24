# ruff: noqa: F821 (torch, nn, F, optim, DataLoader, TensorDataset: the imports the test puts in front)
"""Early stopping written by hand, as PyTorch tutorials and forum answers do it: an MLP with
dropout, Adam, a validation pass under no_grad each epoch, the best model saved with
torch.save(model.state_dict(), path) and restored with model.load_state_dict(torch.load(path)),
and the dropout-from-scratch layer of the textbooks (mask = (torch.rand(X.shape) > p).float()).
Written for tinyreg's tests."""

DROPOUT = 0.2  # the test sets 0.0 to compare step by step with PyTorch


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


class MLP(nn.Module):
    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.hidden = nn.Linear(inputs, hidden)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x):
        h = F.relu(self.hidden(x))
        if self.training and DROPOUT > 0:
            h = dropout_layer(h, DROPOUT)
        return self.out(h)


def evaluate(model, loader):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            total += F.cross_entropy(logits, yb, reduction="sum").item()
            _, predicted = logits.max(1)
            correct += (predicted == yb).sum().item()
            count += len(yb)
    return total / count, correct / count


def fit(model, train_set, val_set, path, patience=3, max_epochs=30, lr=1e-2):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=False)
    val_loader = DataLoader(val_set, batch_size=64)
    best, best_epoch, waited, history = float("inf"), -1, 0, []
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        val_loss, val_acc = evaluate(model, val_loader)
        history.append((val_loss, val_acc))
        if val_loss < best:
            best, best_epoch, waited = val_loss, epoch, 0
            torch.save(model.state_dict(), path)
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(torch.load(path))
    return best_epoch, history, evaluate(model, val_loader)
