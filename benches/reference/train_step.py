# Reference side of `kdbench bench train-step`: the same model, batch, optimiser and thread count
# as kdbench's side, in PyTorch eager (torch 2.13.0). Models mirror kd-vision's models/ and
# kd-nlu's encoder layer for layer; weights are random (only the time is compared).
import math

import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(CONFIG["threads"])
torch.manual_seed(0)


class Mlp(nn.Module):
    def __init__(self, inputs, widths, classes):
        super().__init__()
        layers, fan_in = [], inputs
        for w in widths:
            layers.append(nn.Linear(fan_in, w))
            fan_in = w
        self.hidden = nn.ModuleList(layers)
        self.output = nn.Linear(fan_in, classes)

    def forward(self, x):
        h = x.flatten(1)
        for layer in self.hidden:
            h = F.relu(layer(h))
        return self.output(h)


class LeNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc = nn.ModuleList([nn.Linear(16 * 25, 120), nn.Linear(120, 84)])
        self.output = nn.Linear(84, classes)

    def forward(self, x):
        c1 = F.relu(self.conv1(x))
        c2 = F.relu(self.conv2(F.max_pool2d(c1, 2)))
        h = F.max_pool2d(c2, 2).flatten(1)
        for layer in self.fc:
            h = F.relu(layer(h))
        return self.output(h)


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(
                nn.Conv2d(inputs, outputs, 1, stride, 0, bias=False), nn.BatchNorm2d(outputs)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, in_channels, widths, blocks, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        stages, inputs = [], widths[0]
        for s in range(3):
            stage = []
            for b in range(blocks):
                stage.append(BasicBlock(inputs, widths[s + 1], 2 if s > 0 and b == 0 else 1))
                inputs = widths[s + 1]
            stages.append(nn.Sequential(*stage))
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(widths[3], classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        for stage in self.stages:
            h = stage(h)
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


class BertLayer(nn.Module):
    """Post-LN layer as kd-nlu's encoder: attention, residual + LayerNorm, GELU FFN."""

    def __init__(self, hidden, heads, intermediate, dropout):
        super().__init__()
        self.heads, self.head_dim, self.p = heads, hidden // heads, dropout
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_dense = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output_dense = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask_bias):
        b, t, _ = x.shape
        split = lambda l: l(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.query), split(self.key), split(self.value)
        scores = q.matmul(k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_bias
        probs = scores.softmax(-1)
        context = (
            F.dropout(probs, self.p, self.training)
            .matmul(v)
            .transpose(1, 2)
            .contiguous()
            .view(b, t, self.heads * self.head_dim)
        )
        y = F.dropout(self.attention_dense(context), self.p, self.training)
        x = self.attention_norm(y + x)
        inner = F.gelu(self.intermediate(x))
        y = F.dropout(self.output_dense(inner), self.p, self.training)
        return self.output_norm(y + x)


class BertClassifier(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, intermediate, positions, classes):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            [BertLayer(hidden, heads, intermediate, 0.1) for _ in range(layers)]
        )
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, ids):
        t = ids.shape[1]
        positions = torch.arange(t).unsqueeze(0)
        h = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        h = F.dropout(self.norm(h), 0.1, self.training)
        mask_bias = torch.zeros(1)
        for layer in self.layers:
            h = layer(h, mask_bias)
        return self.classifier(F.dropout(h[:, 0], 0.1, self.training))


def build(model, batch):
    m = CONFIG["shape"]
    if model == "mlp":
        net = Mlp(784, m["hidden"], 10)
        x = torch.randn(batch, 1, 28, 28)
    elif model == "lenet":
        net = LeNet(10)
        x = torch.randn(batch, 1, 28, 28)
    elif model == "resnet20":
        net = ResNet(3, [16, 16, 32, 64], 3, m["classes"])
        x = torch.randn(batch, 3, 32, 32)
    else:
        net = BertClassifier(
            m["vocab"], m["hidden"], m["layers"], m["heads"], m["intermediate"], m["positions"],
            m["classes"],
        )
        x = torch.randint(0, m["vocab"], (batch, m["seq"]))
    y = torch.randint(0, m["classes"] if "classes" in m else 10, (batch,))
    return net, x, y


net, x, y = build(CONFIG["model"], CONFIG["batch"])
net.train()
opt_cfg = CONFIG["optimizer"]
if opt_cfg["name"] == "sgd":
    opt = torch.optim.SGD(
        net.parameters(), lr=opt_cfg["lr"], momentum=opt_cfg["momentum"],
        weight_decay=opt_cfg["weight_decay"], nesterov=opt_cfg["nesterov"],
    )
else:
    opt = torch.optim.AdamW(net.parameters(), lr=opt_cfg["lr"], weight_decay=opt_cfg["weight_decay"])


def steps(n):
    for _ in range(n):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


serve(lambda: steps(CONFIG["steps"]), f"PyTorch {torch.__version__} eager",
      warmup=lambda: steps(CONFIG["warmup"]))
