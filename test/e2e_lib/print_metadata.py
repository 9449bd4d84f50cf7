"""print_metadata.py LIB.so [KEY ...]: the library's metadata (through the
Python package), or the part under KEY/KEY/..., as JSON."""
import json
import sys

import cnnc

md = cnnc.load(sys.argv[1]).metadata
for key in sys.argv[2:]:
    md = md[key]
print(json.dumps(md, sort_keys=True))
