#!/usr/bin/python3
"""The exporter's command line (see its help). The exporter itself is the cnnc
package's `cnnc.exporter` (python/cnnc/exporter.py); scripts that import this file
get that module."""
import importlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
exporter = importlib.import_module("cnnc.exporter")

if __name__ == "__main__":
    sys.exit(exporter.main())
sys.modules[__name__] = exporter
