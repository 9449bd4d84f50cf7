"""Run by test/Training/data-parallel.test under `mpirun -np 2`: the Python
package's Model.use_mpi. Each process takes its share of BATCH (equal
shares, or ROWS,ROWS,... per rank: replicas may hold different numbers of
rows), trains STEPS steps of LIB (cnnc --train --data-parallel) with seed 1,
and process 0 compares every parameter with REFERENCE (cnnc-run's outputs
for one process training the whole batch).

    data_parallel_python.py LIB BATCH REFERENCE STEPS [ROWS,ROWS,...]"""
import sys

import torch

import cnnc
from cnnc import safetensors_io

lib, batch_path, reference, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model = cnnc.load(lib)
model.seed = 1
rank, size = model.use_mpi()
batch = safetensors_io.load(batch_path)
total = len(batch["labels"])
counts = ([int(r) for r in sys.argv[5].split(",")] if len(sys.argv) > 5
          else [total // size] * size)
first = sum(counts[:rank])
share = {k: torch.as_tensor(v)[first:first + counts[rank]] for k, v in batch.items()}
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
    print(f"{'PASS' if ok else 'FAIL'} python_use_mpi: rank {rank} of {size}, rows "
          f"{'+'.join(map(str, counts))}, {len(params)} parameters, worst relative error "
          f"{worst:.1e}, loss {loss:.6f}")
