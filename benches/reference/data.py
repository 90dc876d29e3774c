# Reference side of `kdbench bench data`: a torchvision-style loader over the same IDX files (a
# map-style Dataset whose __getitem__ returns one image tensor scaled to [0, 1] and its label, as
# torchvision's MNIST with ToTensor does, batched by torch's DataLoader with shuffling, in the main
# process). One unit is one training epoch of batches.
import gzip
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

torch.set_num_threads(CONFIG["threads"])


def read_idx(path):
    dotted = path.replace("-idx", ".idx", 1)
    for candidate in (path, path + ".gz", dotted, dotted + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit(f"{path}: missing")


class IdxMnist(Dataset):
    def __init__(self, root):
        self.images = read_idx(os.path.join(root, "train-images-idx3-ubyte"))
        self.labels = read_idx(os.path.join(root, "train-labels-idx1-ubyte")).astype(np.int64)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = torch.from_numpy(self.images[i].astype(np.float32) / 255.0).unsqueeze(0)
        return image, int(self.labels[i])


loader = DataLoader(IdxMnist(CONFIG["dir"]), batch_size=CONFIG["batch"], shuffle=True)


def epoch():
    for x, y in loader:
        pass


serve(epoch, f"torch {torch.__version__} DataLoader", warmup=epoch)
