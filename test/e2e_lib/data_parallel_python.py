"""Run by test/Training/data-parallel.test under `mpirun -np 2`: the Python
package's Model.use_mpi. Each process takes its half of BATCH, trains STEPS
steps of LIB (cnnc --train --data-parallel) with seed 1, and process 0
compares every parameter with REFERENCE (cnnc-run's outputs for one process
training the whole batch)."""
import sys

import torch

import cnnc
from cnnc import safetensors_io

lib, batch_path, reference, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model = cnnc.load(lib)
model.seed = 1
rank, size = model.use_mpi()
batch = safetensors_io.load(batch_path)
rows = len(batch["labels"]) // size
share = {k: torch.as_tensor(v)[rank * rows:(rank + 1) * rows] for k, v in batch.items()}
labels = share.pop("labels")
for _ in range(steps):
    loss = model.train_step(share, labels)
if rank == 0:
    ref = safetensors_io.load(reference)
    params = model.parameters()
    worst = max(((torch.as_tensor(params[k]) - torch.as_tensor(ref["param." + k])).abs().max() /
                 (torch.as_tensor(ref["param." + k]).abs().max() + 1e-2)).item() for k in params)
    same_loss = abs(loss - float(ref["loss"][0])) <= 1e-4 * max(1.0, abs(float(ref["loss"][0])))
    ok = worst <= 1e-4 and same_loss
    print(f"{'PASS' if ok else 'FAIL'} python_use_mpi: rank {rank} of {size}, {len(params)} "
          f"parameters, worst relative error {worst:.1e}, loss {loss:.6f}")
