"""cnnc from Python: compile a CNN into a native library, load it, run it, train it.

    import cnnc
    cnnc.compile("resnet18.json", "resnet18.so")              # or an .onnx file,
    cnnc.compile(torch_module, "m.so", example_input=x)       # a parsed dict, a module
    m = cnnc.load("resnet18.so")
    m.inputs, m.outputs                   # [(name, shape)], compiled shapes
    y = m(image)                          # one-input model: first output, NumPy
    outs = m.run({"image": image})        # {output name: NumPy array}

    t = cnnc.load("lenet-train.so")       # compiled with train=True
    loss = t.train_step({"image": x}, labels)
    t.learning_rate = 0.01; t.parameters(); t.gradients(); t.save_parameters("p.safetensors")

Inputs are NumPy arrays or anything with __dlpack__ (PyTorch tensors: read in place
when they are float32, C-contiguous and on the CPU). A wrong name, shape or dtype raises
ValueError naming the tensor. A loaded model may be used from several threads at once;
the GIL is released while it runs. The contract is the project's spec, section 5.5;
docs/python.md says the rest.
"""

import json
import os
import shutil
import subprocess
import tempfile

__all__ = ["compile", "load", "Model", "CompileError", "RuntimeError", "__version__"]

__version__ = "0.1.0"


class CompileError(Exception):
    """cnnc refused the model: the message is what `cnnc` printed (every diagnostic,
    each naming the file and node)."""

    def __init__(self, message, diagnostics=()):
        super().__init__(message)
        self.diagnostics = list(diagnostics)


def _runtime():
    try:
        from . import _cnnrt
    except ImportError as e:  # the source tree's package has no compiled extension
        raise ImportError(
            "cnnc's runtime extension (_cnnrt) is not built here: build cnnc "
            "(scripts/build.sh) and use build/python, or install it (cmake --install)"
        ) from e
    return _cnnrt


def __getattr__(name):
    if name == "RuntimeError":  # the runtime's errors other than ValueError
        return _runtime().RuntimeError
    raise AttributeError(f"module 'cnnc' has no attribute {name!r}")


# ---------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------

def _cnnc_binary():
    """The cnnc compiler beside this package (build tree or install), $CNNC, or PATH."""
    if os.environ.get("CNNC"):
        return os.environ["CNNC"]
    try:
        from ._config import CNNC_BINARY
        if os.path.exists(CNNC_BINARY):
            return CNNC_BINARY
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", "..", "build", "bin", "cnnc"),):
        if os.path.exists(candidate):
            return os.path.normpath(candidate)
    found = shutil.which("cnnc")
    if found:
        return found
    raise CompileError("cannot find the cnnc compiler: build cnnc, install it, or set $CNNC")


DEFAULT_TRAINING = {"loss": "softmax_cross_entropy",
                    "optimizer": {"type": "sgd", "learning_rate": 0.01}}


def compile(model, output, target="x86_64", batch=None, train=False, weights="embed",
            mcpu=None, opt_level=2, seed=None, example_input=None, input_names=None,
            name=None, training=None, extra_args=(), precision=None, calibrate=None,
            calibration=None):
    """Compiles `model` into the library `output` and returns `output`.

    model: a .json or .onnx path; a parsed model description (dict; a relative
    "weights" path is taken relative to the current directory); or a torch.nn.Module
    with `example_input` (a tensor, or a tuple of tensors for several inputs), exported
    with cnnc.exporter (its weights included). target: "x86_64" or "nvptx"; batch: the
    compiled batch (the model's own when None); train: compile the training step too;
    weights: "embed" or "external" (beside the library as OUTPUT.weights.safetensors);
    mcpu: a CPU name (x86_64) or sm_XX (nvptx). training: the model's "training"
    object (loss and optimizer, spec section 1) to use instead of its own; a dict or
    module without one compiled with train=True gets DEFAULT_TRAINING (SGD, learning
    rate 0.01). precision: "fp32" (the default), "bf16" (convolutions on bf16 operands
    with float32 accumulation, CPUs with AVX512_BF16) or "int8" (on int8 operands with
    int32 accumulation, CPUs with AVX512_VNNI; docs/precision.md). calibrate (int8): the
    images whose activation ranges set the int8 scales, a safetensors path (file or
    directory) or an [N, ...] array or tensor; calibration: "minmax" (cnnc's default)
    or "percentile[:P]". Raises CompileError with cnnc's message.
    """
    output = os.fspath(output)
    with tempfile.TemporaryDirectory(prefix="cnnc-") as tmp:
        generated = not isinstance(model, (str, os.PathLike))
        path = _model_file(model, tmp, example_input, input_names, name)
        if training is not None or (train and generated):
            path = _with_training(path, tmp, training)
        args = [_cnnc_binary(), path, f"-target={target}", f"-O{int(opt_level)}",
                f"--weights={weights}", "-o", output]
        if batch is not None:
            args.append(f"--batch={int(batch)}")
        if train:
            args.append("--train")
        if mcpu:
            args.append(f"-mcpu={mcpu}")
        if seed is not None:
            args.append(f"--seed={int(seed)}")
        if precision is not None:
            args.append(f"--precision={precision}")
        if calibrate is not None:
            if not isinstance(calibrate, (str, os.PathLike)):
                from . import safetensors_io
                images = os.path.join(tmp, "calibration.safetensors")
                safetensors_io.save(images, {"images": calibrate})
                calibrate = images
            args.append(f"--calibrate={os.fspath(calibrate)}")
        if calibration is not None:
            args.append(f"--calibration={calibration}")
        args.extend(str(a) for a in extra_args)
        proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        diagnostics = [ln for ln in lines if "error:" in ln] or lines
        raise CompileError(proc.stderr.strip() or f"cnnc exited with status {proc.returncode}",
                           diagnostics)
    return output


def _with_training(path, tmp, training):
    """`path`, or a copy in `tmp` with the given (or default) training object."""
    if not path.endswith(".json"):
        if training is not None:
            raise CompileError(f"{path}: training= applies to JSON models and modules")
        return path
    try:
        with open(path) as f:
            desc = json.load(f)
    except (OSError, ValueError):
        return path  # cnnc reports it
    if training is None and "training" in desc:
        return path
    desc["training"] = training if training is not None else DEFAULT_TRAINING
    weights = desc.get("weights")
    if isinstance(weights, str) and not os.path.isabs(weights):
        desc["weights"] = os.path.join(os.path.dirname(os.path.abspath(path)), weights)
    out = os.path.join(tmp, "model-training.json")
    with open(out, "w") as f:
        json.dump(desc, f)
    return out


def _model_file(model, tmp, example_input, input_names, name):
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise CompileError(f"{path}: no such file")
        return path
    if isinstance(model, dict):
        desc = dict(model)
        if isinstance(desc.get("weights"), str) and not os.path.isabs(desc["weights"]):
            desc["weights"] = os.path.abspath(desc["weights"])
        path = os.path.join(tmp, "model.json")
        with open(path, "w") as f:
            json.dump(desc, f)
        return path
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and isinstance(model, torch.nn.Module):
        if example_input is None:
            raise CompileError("compiling a torch.nn.Module needs example_input "
                               "(a tensor, or a tuple of tensors)")
        from . import exporter
        examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
        shapes = [list(x.shape) for x in examples]
        try:
            desc, tensors = exporter.export(
                model, shapes, name=name or type(model).__name__.lower(),
                input_names=input_names)
        except exporter.ExportError as e:
            raise CompileError(str(e)) from None
        weights_path = os.path.join(tmp, "model.safetensors")
        exporter.save_weights(weights_path, tensors)
        desc["weights"] = "model.safetensors"
        path = os.path.join(tmp, "model.json")
        with open(path, "w") as f:
            f.write(exporter.dumps(desc))
        return path
    raise CompileError(f"cannot compile a {type(model).__name__}: give a .json/.onnx path, "
                       "a model description (dict) or a torch.nn.Module")


# ---------------------------------------------------------------------------
# Running and training
# ---------------------------------------------------------------------------

def _as_array(name, value, integer=False):
    """`value` as a C-contiguous NumPy array of its own dtype, in place where possible."""
    import numpy as np
    if isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "__dlpack__"):
        try:
            array = np.from_dlpack(value)
        except (RuntimeError, TypeError, BufferError, ValueError) as e:
            raise ValueError(f"tensor '{name}': cannot read it through DLPack ({e}); "
                             "pass a CPU tensor or a NumPy array") from None
    elif isinstance(value, (list, tuple, float, int)):
        array = np.asarray(value, dtype=np.int64 if integer else np.float32)
    else:
        raise ValueError(f"tensor '{name}': expected a NumPy array or an object with "
                         f"__dlpack__, got {type(value).__name__}")
    allowed = (np.int32, np.int64) if integer else (np.float32,)
    if array.dtype.type not in allowed:
        want = "int32 or int64" if integer else "float32"
        raise ValueError(f"tensor '{name}' has dtype {array.dtype}; expected {want}")
    if not array.flags["C_CONTIGUOUS"]:
        array = np.ascontiguousarray(array)
    return array


class Model:
    """A loaded cnnc library. See the module's documentation."""

    def __init__(self, path, device=None, weights=None):
        rt = _runtime()
        self._m = rt.Model(os.fspath(path), os.fspath(weights) if weights else "",
                           device or "")

    # -- what it is ---------------------------------------------------------
    @property
    def path(self):
        return self._m.path

    @property
    def name(self):
        return self._m.name

    @property
    def target(self):
        return self._m.target

    @property
    def device(self):
        return self._m.device

    @property
    def inputs(self):
        """[(name, shape)] with the compiled shapes."""
        return [(n, list(s)) for n, s in self._m.inputs]

    @property
    def outputs(self):
        return [(n, list(s)) for n, s in self._m.outputs]

    @property
    def max_batch(self):
        """The compiled batch N; with runtime_batch, any batch 1..N runs."""
        return self._m.max_batch

    @property
    def runtime_batch(self):
        return self._m.runtime_batch

    @property
    def trainable(self):
        return self._m.trainable

    @property
    def metadata(self):
        """The library's metadata (target, signature, arena, layers) as a dict."""
        return json.loads(self._m.metadata)

    def report(self):
        """A short text summary: target, signature, parameters, memory, layers."""
        md = self.metadata
        params = self._m.parameter_shapes
        count = 0
        for _, shape in params:
            n = 1
            for d in shape:
                n *= d
            count += n
        lines = [f"{self.name}: {self.target}, device {self.device}"]
        for n, s in self.inputs:
            lines.append(f"  input  {n} {s}")
        for n, s in self.outputs:
            lines.append(f"  output {n} {s}")
        batch = (f"any batch 1..{self.max_batch}" if self.runtime_batch
                 else f"batch {self.max_batch} only")
        lines.append(f"  {batch}; {len(params)} parameter tensors, {count} values "
                     f"({count * 4 / 1e6:.2f} MB)")
        lines.append(f"  arena {md.get('arena_bytes', 0) / 1e6:.2f} MB per concurrent run; "
                     f"{len(self._m.layers)} layers"
                     + ("; trainable" if self.trainable else ""))
        return "\n".join(lines)

    # -- running --------------------------------------------------------------
    def _feeds(self, feeds):
        if not isinstance(feeds, dict):
            if len(self._m.inputs) != 1:
                raise ValueError(f"{self.path}: the model has {len(self._m.inputs)} inputs: "
                                 "pass a dict name -> array")
            feeds = {self._m.inputs[0][0]: feeds}
        return {str(k): _as_array(str(k), v) for k, v in feeds.items()}

    def run(self, feeds, threads=0):
        """Runs the forward graph: feeds {input name: array}; returns {output name: array}."""
        return self._m.run(self._feeds(feeds), int(threads))

    def __call__(self, x, threads=0):
        """A one-input model's first output for input `x`."""
        if len(self._m.inputs) != 1:
            raise ValueError(f"{self.path}: the model has {len(self._m.inputs)} inputs; "
                             "use run({name: array, ...})")
        outs = self.run(x, threads)
        return outs[self._m.outputs[0][0]]

    def profile(self, feeds, threads=0):
        """[(layer, ms)] of one forward pass (after a warm-up), in execution order."""
        return self._m.profile(self._feeds(feeds), int(threads))

    # -- training -------------------------------------------------------------
    def train_step(self, feeds, labels):
        """One optimizer step on a batch (a --train library); returns the mean loss."""
        return float(self._m.train_step(self._feeds(feeds), _as_array("labels", labels, True)))

    def profile_train_step(self, feeds, labels):
        """One training step (it updates the model like train_step), timed per op of the
        step: (loss, [("node op", ms)]) in the order the ops first run."""
        loss, ops = self._m.profile_train_step(self._feeds(feeds),
                                               _as_array("labels", labels, True))
        return float(loss), ops

    def parameters(self):
        """{name: array}: copies of every tensor the model holds (learnable and running
        statistics), current values."""
        return self._m.parameters()

    def gradients(self):
        """{name: array}: the last training step's gradients (empty before the first)."""
        return self._m.gradients()

    @property
    def learning_rate(self):
        return self._m.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._m.learning_rate = float(value)

    @property
    def seed(self):
        """Dropout's seed (setting it restarts the step count)."""
        return self._m.seed

    @seed.setter
    def seed(self, value):
        self._m.seed = int(value)

    @property
    def step_index(self):
        return self._m.step_index

    def save_parameters(self, path):
        self._m.save_parameters(os.fspath(path))

    save = save_parameters

    def load_parameters(self, path):
        self._m.load_parameters(os.fspath(path))

    def save_checkpoint(self, path):
        """The whole training state (parameters, optimizer state, counters,
        seed, learning rate) in one safetensors file; load_checkpoint resumes
        bit for bit."""
        self._m.save_checkpoint(os.fspath(path))

    def use_mpi(self):
        """Data-parallel training over MPI, for a library compiled with
        `cnnc --train --data-parallel` (CPU); run the script under `mpirun -np
        N`. Process 0's parameters, optimizer state and counters are copied to
        every process; then each passes its own share of every batch to
        train_step, which returns the combined batch's loss, and all processes
        end each step with the parameters one process training on the
        combined batch would have (batchnorm's statistics are the combined
        batch's; docs/training.md). Returns (rank, number of processes)."""
        return tuple(self._m.use_mpi())

    def load_checkpoint(self, path):
        """Restores save_checkpoint's file; another model's or optimizer's, or
        a corrupt file, raises an error naming it and changes nothing."""
        self._m.load_checkpoint(os.fspath(path))

    def __repr__(self):
        return f"<cnnc.Model {self.name!r} {self.target} from {self.path!r}>"


def load(path, device=None, weights=None):
    """Loads a compiled library. device: None (the library's own), "cpu" or "cuda"
    (an error if it is compiled for the other). weights: a safetensors file replacing
    the embedded parameters (or the external weights file's place)."""
    return Model(path, device=device, weights=weights)
