"""Safetensors reading and writing for cnnc's scripts: the cnnc package's
`cnnc.safetensors_io` (python/cnnc/safetensors_io.py), imported from the source tree."""
import importlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
sys.modules[__name__] = importlib.import_module("cnnc.safetensors_io")
