# ruff: noqa: F821 (torch, nn, F, optim, StepLR, DataLoader, TensorDataset: the imports the test puts in front)
"""A PyTorch training script in the shape of PyTorch's own MNIST example (pytorch/examples,
mnist/main.py, BSD-3-Clause): two 3x3 convolutions, max-pooling, dropout, two linear layers,
log-softmax and NLL loss, Adadelta with StepLR, the usual train/test loops. Written for tinyreg's
tests (not a copy of that file): the data come as NumPy arrays instead of torchvision's download,
and the sizes are small. The only lines that differ between PyTorch and tinyreg are the imports,
which the test puts in front of this text (see tests/test_pytorch_scripts.py)."""

DROPOUT = (0.25, 0.5)  # the test sets (0.0, 0.0) to compare step by step with PyTorch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(DROPOUT[0])
        self.dropout2 = nn.Dropout(DROPOUT[1])
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(model, device, train_loader, optimizer, losses):
    model.train()
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(test_loader.dataset), correct / len(test_loader.dataset)


def main(model, images, labels, test_images, test_labels, epochs=2, lr=1.0, gamma=0.7):
    device = torch.device("cpu")
    model = model.to(device)
    normalized = (torch.from_numpy(images) - 0.1307) / 0.3081
    train_set = TensorDataset(normalized, torch.from_numpy(labels))
    test_set = TensorDataset(
        (torch.from_numpy(test_images) - 0.1307) / 0.3081, torch.from_numpy(test_labels)
    )
    train_loader = DataLoader(train_set, batch_size=32)
    test_loader = DataLoader(test_set, batch_size=100)
    optimizer = optim.Adadelta(model.parameters(), lr=lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    losses, results = [], []
    for _ in range(epochs):
        train(model, device, train_loader, optimizer, losses)
        results.append(test(model, device, test_loader))
        scheduler.step()
    return losses, results
