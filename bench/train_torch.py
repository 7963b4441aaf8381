"""PyTorch CPU reference for bench/train.ts: the same MLP, data, batch size, epochs and optimizer.

Usage: python3 bench/train_torch.py DATA.bin ROWS FEATURES THREADS EPOCHS BATCH RUNS
DATA.bin holds ROWS*FEATURES float32 features (row-major) followed by ROWS float32 targets,
written by bench/train.ts so both sides train on identical numbers. Prints one JSON object.
"""
import json
import sys
import time

import numpy as np
import torch


def main() -> None:
    path, rows, feats, threads, epochs, batch, runs = sys.argv[1], *map(int, sys.argv[2:8])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    raw = np.fromfile(path, dtype=np.float32)
    x = torch.from_numpy(raw[: rows * feats].reshape(rows, feats).copy())
    y = torch.from_numpy(raw[rows * feats :].reshape(rows, 1).copy())

    model = torch.nn.Sequential(
        torch.nn.Linear(feats, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    loss_fn = torch.nn.MSELoss()

    def train(n_epochs: int, opt: torch.optim.Optimizer) -> float:
        last = float("nan")
        for _ in range(n_epochs):
            perm = torch.randperm(rows)
            total = torch.zeros(())
            for s in range(0, rows, batch):
                idx = perm[s : s + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                total += loss.detach() * idx.numel()
            # one read-back per epoch, like Kiln's loop
            last = total.item() / rows
        return last

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train(1, opt)  # warm-up epoch
    times = []
    loss = float("nan")
    for _ in range(runs):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        t0 = time.perf_counter()
        loss = train(epochs, opt)
        times.append(time.perf_counter() - t0)

    def latency(n: int, reps: int) -> float:
        xb = x[:n]
        with torch.no_grad():
            for _ in range(10):
                model(xb)
            samples = []
            for _ in range(reps):
                t0 = time.perf_counter()
                model(xb).numpy()
                samples.append(time.perf_counter() - t0)
        samples.sort()
        return samples[len(samples) // 2] * 1000

    best = min(times)
    print(json.dumps({
        "threads": threads,
        "torch": torch.__version__,
        "secondsPerRun": times,
        "samplesPerSec": rows * epochs / best,
        "finalLoss": loss,
        "predictMs1": latency(1, 200),
        "predictMs1000": latency(1000, 100),
    }))


if __name__ == "__main__":
    main()
