"""print_target.py LIB.so: the target a library records (its metadata, through the
cnnc Python package): CPU, required features, vector bits and registers."""
import sys

import cnnc

t = cnnc.load(sys.argv[1]).metadata["target"]
print(t["cpu"], t["required_features"], t["description"]["vector_bits"],
      t["description"]["vector_registers"])
