"""repeated_runs.py LIB.so ...: for each library, whether three runs of one Model on one
input give identical outputs."""
import sys

import numpy as np

import cnnc

for path in sys.argv[1:]:
    model = cnnc.load(path)
    x = np.random.default_rng(0).standard_normal(model.inputs[0][1]).astype(np.float32)
    runs = [np.array(model(x)) for _ in range(3)]
    print(path.rsplit("/", 1)[-1], all(np.array_equal(a, b) for a, b in zip(runs, runs[1:])))
