"""Every function of the cnnc Python API (spec 5.5, docs/python.md) against PyTorch,
bad inputs included. Run: PYTHONPATH=build/python /usr/bin/python3 test_api.py WORKDIR
"""
import os
import sys
import threading
import unittest

import numpy as np
import torch
import torch.nn as nn

import cnnc

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
WORK = None  # set in main
RTOL = 1e-4


class SmallNet(nn.Module):
    """conv + batchnorm + relu + pool + linear: the ops a training step mixes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.relu(self.bn1(self.conv1(x)))), 1))


class TwoInputs(nn.Module):
    def forward(self, a, b):
        return torch.relu(a + b)


def close(test, got, want, what):
    want = np.asarray(want, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    test.assertEqual(got.shape, want.shape, what)
    tol = RTOL * max(1.0, float(np.abs(want).max()))
    test.assertLessEqual(float(np.abs(got - want).max()), tol, what)


def path(name):
    return os.path.join(WORK, name)


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.net = SmallNet().eval()
        with torch.no_grad():  # batchnorm that is not the identity
            cls.net.bn1.running_mean.uniform_(-0.2, 0.2)
            cls.net.bn1.running_var.uniform_(0.5, 1.5)
        cls.x = torch.randn(4, 3, 8, 8)
        cls.lib = cnnc.compile(cls.net, path("small.so"), example_input=cls.x)
        cls.m = cnnc.load(cls.lib)

    # -- compile --------------------------------------------------------------
    def test_compile_returns_output_and_json_path(self):
        out = cnnc.compile(os.path.join(ROOT, "models", "lenet.json"), path("lenet.so"), batch=2)
        self.assertEqual(out, path("lenet.so"))
        m = cnnc.load(out)
        self.assertEqual(m.inputs, [("image", [2, 1, 28, 28])])
        self.assertEqual(m.outputs, [("fc3", [2, 10])])

    def test_compile_description_dict(self):
        desc = {"format": "cnnc-model", "version": 1, "name": "tiny",
                "inputs": [{"name": "x", "shape": [2, 3]}], "outputs": ["r"],
                "nodes": [{"name": "r", "op": "relu", "inputs": ["x"]}]}
        m = cnnc.load(cnnc.compile(desc, path("tiny.so")))
        x = np.array([[-1, 2, -3], [4, -5, 6]], np.float32)
        np.testing.assert_array_equal(m(x), np.maximum(x, 0))

    def test_compile_module_matches_pytorch(self):
        with torch.no_grad():
            want = self.net(self.x).numpy()
        close(self, self.m(self.x.numpy()), want, "module output")

    def test_compile_external_weights(self):
        out = cnnc.compile(self.net, path("ext.so"), example_input=self.x, weights="external")
        self.assertTrue(os.path.exists(out + ".weights.safetensors"))
        with torch.no_grad():
            close(self, cnnc.load(out)(self.x.numpy()), self.net(self.x).numpy(), "external")

    def test_compile_errors_carry_every_diagnostic(self):
        bad = os.path.join(ROOT, "test", "Inputs", "import", "bad_arity.json")
        with self.assertRaises(cnnc.CompileError) as ctx:
            cnnc.compile(bad, path("bad.so"))
        msg = str(ctx.exception)
        self.assertIn("bad_arity.json: node 'add1' (add)", msg)
        self.assertIn("node 'mul3' (mul)", msg)
        self.assertGreaterEqual(len(ctx.exception.diagnostics), 2)
        self.assertTrue(all("bad_arity.json" in d for d in ctx.exception.diagnostics))
        self.assertTrue(issubclass(cnnc.CompileError, Exception))
        with self.assertRaises(cnnc.CompileError):
            cnnc.compile(path("no-such-model.json"), path("x.so"))
        with self.assertRaises(cnnc.CompileError):
            cnnc.compile(self.net, path("x.so"))  # a module needs an example input
        with self.assertRaises(cnnc.CompileError):
            cnnc.compile(nn.ELU(), path("x.so"), example_input=self.x)  # unsupported op
        with self.assertRaises(cnnc.CompileError):
            cnnc.compile(42, path("x.so"))

    def test_compile_precision(self):
        # bf16 needs AVX512_BF16: refused for an AVX2 CPU, with cnnc's message.
        with self.assertRaises(cnnc.CompileError) as ctx:
            cnnc.compile(self.net, path("bf16.so"), example_input=self.x, mcpu="x86-64-v3",
                         precision="bf16")
        self.assertIn("--precision=bf16 needs a CPU with AVX512_BF16", str(ctx.exception))
        with self.assertRaises(cnnc.CompileError):
            cnnc.compile(self.net, path("fp16.so"), example_input=self.x, precision="fp16")
        # For a CPU that has it (compiled only: this machine may not run it).
        out = cnnc.compile(self.net, path("bf16.so"), example_input=self.x, mcpu="znver4",
                           precision="bf16")
        self.assertTrue(os.path.exists(out))

    def test_compile_int8(self):
        # int8 needs calibration images, and AVX2 or AVX512_VNNI.
        with self.assertRaises(cnnc.CompileError) as ctx:
            cnnc.compile(self.net, path("int8.so"), example_input=self.x, precision="int8")
        self.assertIn("--precision=int8 needs --calibrate=IMAGES", str(ctx.exception))
        images = torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(3))
        with self.assertRaises(cnnc.CompileError) as ctx:
            cnnc.compile(self.net, path("int8.so"), example_input=self.x, mcpu="x86-64-v2",
                         precision="int8", calibrate=images)
        self.assertIn("--precision=int8 needs a CPU with AVX2", str(ctx.exception))
        # Calibrated on a tensor of images (for this machine's CPU, VNNI or not).
        out = cnnc.compile(self.net, path("int8.so"), example_input=self.x, precision="int8",
                           calibrate=images, calibration="percentile:99.9")
        m = cnnc.load(out)
        self.assertEqual(m.metadata["precision"], "int8")
        with torch.no_grad():
            want = self.net(self.x).numpy()
        got = m(self.x.numpy())
        # 7-bit activations, 8-bit weights: within 5% of the largest logit.
        self.assertLessEqual(float(np.abs(got - want).max()), 0.05 * float(np.abs(want).max()))

    # -- load -----------------------------------------------------------------
    def test_load_describes_the_library(self):
        m = self.m
        self.assertEqual(m.inputs, [("image", [4, 3, 8, 8])])
        self.assertEqual(m.outputs[0][1], [4, 5])
        self.assertEqual(m.device, "cpu")
        self.assertTrue(m.target.startswith("x86_64"))
        self.assertEqual(m.max_batch, 4)
        self.assertTrue(m.runtime_batch)
        self.assertFalse(m.trainable)
        self.assertEqual(m.metadata["format"], "cnnc-library")
        self.assertIn("any batch 1..4", m.report())
        self.assertIn("image", repr(m.inputs))

    def test_load_errors(self):
        with self.assertRaises(RuntimeError) as ctx:
            cnnc.load(path("missing.so"))
        self.assertIn("missing.so", str(ctx.exception))
        self.assertIsInstance(ctx.exception, cnnc.RuntimeError)
        text = path("text.so")
        with open(text, "w") as f:
            f.write("not a library")
        with self.assertRaisesRegex(RuntimeError, "not a cnnc library"):
            cnnc.load(text)
        with self.assertRaisesRegex(RuntimeError, "device 'cuda'"):
            cnnc.load(self.lib, device="cuda")
        self.assertEqual(cnnc.load(self.lib, device="cpu").device, "cpu")

    # -- run ------------------------------------------------------------------
    def test_run_dict_and_call(self):
        outs = self.m.run({"image": self.x.numpy()})
        self.assertEqual(list(outs), [self.m.outputs[0][0]])
        np.testing.assert_array_equal(outs[self.m.outputs[0][0]], self.m(self.x.numpy()))

    def test_run_takes_dlpack_tensors(self):
        want = self.m(self.x.numpy())
        np.testing.assert_array_equal(self.m(self.x), want)  # torch.Tensor, in place
        np.testing.assert_array_equal(self.m.run({"image": self.x})[self.m.outputs[0][0]], want)
        # A non-contiguous view is copied, not refused.
        wide = torch.randn(4, 3, 8, 16)
        view = wide[..., ::2]
        np.testing.assert_array_equal(self.m(view), self.m(view.contiguous().numpy()))
        # Outputs are NumPy arrays that PyTorch reads through DLPack.
        self.assertTrue(torch.equal(torch.from_dlpack(want), torch.from_numpy(want)))

    def test_run_time_batch(self):
        with torch.no_grad():
            for b in (1, 3):
                close(self, self.m(self.x[:b].numpy()), self.net(self.x[:b]).numpy(), f"b{b}")

    def test_bad_inputs_raise_value_error_naming_the_tensor(self):
        x = self.x.numpy()
        cases = [
            ({"picture": x}, "'image'"),
            ({"image": x, "extra": x}, "'extra'"),
            ({"image": x.astype(np.float64)}, "'image'"),
            ({"image": x[:, :, :7]}, "'image'"),
            ({"image": np.zeros((5, 3, 8, 8), np.float32)}, "'image'"),
            ({"image": "pixels"}, "'image'"),
            ({"image": x.astype(np.int32)}, "'image'"),
        ]
        for feeds, name in cases:
            with self.assertRaises(ValueError) as ctx:
                self.m.run(feeds)
            self.assertIn(name, str(ctx.exception), feeds.keys())

    def test_call_needs_a_single_input(self):
        m = cnnc.load(cnnc.compile(TwoInputs(), path("two.so"),
                                   example_input=(torch.randn(2, 3), torch.randn(2, 3)),
                                   input_names=["a", "b"]))
        a, b = np.ones((2, 3), np.float32), -2 * np.ones((2, 3), np.float32)
        self.assertEqual(sorted(n for n, _ in m.inputs), ["a", "b"])
        np.testing.assert_array_equal(m.run({"a": a, "b": -b})[m.outputs[0][0]], 3 * a)
        with self.assertRaises(ValueError):
            m(a)

    def test_profile(self):
        layers = self.m.profile(self.x.numpy())
        names = [n for n, _ in layers]
        self.assertIn("conv1", names)
        self.assertIn("fc", names)
        self.assertTrue(all(ms >= 0 for _, ms in layers))

    def test_threads_share_one_model(self):
        xs = [np.random.default_rng(i).standard_normal((1 + i % 4, 3, 8, 8)).astype(np.float32)
              for i in range(8)]
        want = [self.m(x) for x in xs]
        errors = []

        def work(i):
            for _ in range(200):
                got = self.m(xs[i], threads=1)
                if not np.array_equal(got, want[i]):
                    errors.append(i)
                    return

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class Training(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(1)
        cls.net = SmallNet()
        cls.x = torch.randn(6, 3, 8, 8)
        cls.labels = torch.tensor([0, 1, 2, 3, 4, 0])
        cls.lib = cnnc.compile(cls.net, path("train.so"), example_input=cls.x, train=True,
                               training={"loss": "softmax_cross_entropy",
                                         "optimizer": {"type": "sgd", "learning_rate": 0.1,
                                                       "momentum": 0.9}})

    def reference(self, steps, batch=6, lr=0.1):
        net = SmallNet()
        net.load_state_dict(self.net.state_dict())
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(self.x[:batch]), self.labels[:batch])
            loss.backward()
            opt.step()
        return net, float(loss)

    def test_steps_match_pytorch(self):
        t = cnnc.load(self.lib)
        self.assertTrue(t.trainable)
        self.assertAlmostEqual(t.learning_rate, 0.1, places=6)
        self.assertEqual(t.gradients(), {})
        for _ in range(2):
            loss = t.train_step({"image": self.x.numpy()}, self.labels.numpy())
        ref, ref_loss = self.reference(2)
        self.assertAlmostEqual(loss, ref_loss, delta=1e-4 * max(1, abs(ref_loss)))
        self.assertEqual(t.step_index, 2)
        grads = t.gradients()
        params = t.parameters()
        for name, p in ref.named_parameters():
            close(self, grads[name], p.grad.numpy(), "grad." + name)
        for name, v in ref.state_dict().items():
            if name in params:
                close(self, params[name], v.numpy(), "param." + name)
        self.assertIn("bn1.running_var", params)

    def test_profile_train_step_is_a_step(self):
        t = cnnc.load(self.lib)
        t.train_step({"image": self.x.numpy()}, self.labels.numpy())
        loss, ops = t.profile_train_step({"image": self.x.numpy()}, self.labels.numpy())
        ref, ref_loss = self.reference(2)
        self.assertAlmostEqual(loss, ref_loss, delta=1e-4 * max(1, abs(ref_loss)))
        self.assertEqual(t.step_index, 2)
        names = [name for name, _ in ops]
        self.assertTrue(any(n.endswith(" conv2d_grad_weight") for n in names), names)
        self.assertIn("sgd_update", names)
        self.assertTrue(all(ms >= 0 for _, ms in ops))

    def test_run_time_batch_and_int32_labels(self):
        t = cnnc.load(self.lib)
        loss = t.train_step(self.x[:4], self.labels[:4].to(torch.int32))
        ref, ref_loss = self.reference(1, batch=4)
        self.assertAlmostEqual(loss, ref_loss, delta=1e-4 * max(1, abs(ref_loss)))
        close(self, t.parameters()["bn1.running_mean"], ref.bn1.running_mean.numpy(), "rm")

    def test_learning_rate_seed_save_load(self):
        t = cnnc.load(self.lib)
        t.learning_rate = 0.05
        self.assertAlmostEqual(t.learning_rate, 0.05, places=6)
        t.train_step({"image": self.x.numpy()}, self.labels.numpy())
        ref, _ = self.reference(1, lr=0.05)
        close(self, t.parameters()["fc.weight"], ref.fc.weight.detach().numpy(), "lr 0.05")
        t.seed = 7
        self.assertEqual((t.seed, t.step_index), (7, 0))
        t.save_parameters(path("trained.safetensors"))
        fresh = cnnc.load(self.lib)
        fresh.load_parameters(path("trained.safetensors"))
        for name, v in t.parameters().items():
            np.testing.assert_array_equal(fresh.parameters()[name], v)
        # The forward pass uses the trained parameters.
        np.testing.assert_array_equal(fresh(self.x.numpy()), t(self.x.numpy()))
        with self.assertRaises(RuntimeError):
            fresh.load_parameters(path("no-such.safetensors"))

    def test_bad_training_inputs(self):
        t = cnnc.load(self.lib)
        x = self.x.numpy()
        with self.assertRaisesRegex(ValueError, "label 9"):
            t.train_step(x, np.array([0, 1, 2, 3, 4, 9]))
        with self.assertRaisesRegex(ValueError, "labels"):
            t.train_step(x, np.array([0, 1, 2]))
        with self.assertRaisesRegex(ValueError, "labels"):
            t.train_step(x, np.zeros(6, np.float32))
        with self.assertRaisesRegex(ValueError, "'image'"):
            t.train_step({"image": x[:, :2]}, self.labels.numpy())
        with self.assertRaises(ValueError):
            t.learning_rate = -1
        with self.assertRaisesRegex(RuntimeError, "not compiled for training"):
            cnnc.load(cnnc.compile(self.net, path("inference.so"), example_input=self.x)) \
                .train_step(x, self.labels.numpy())


if __name__ == "__main__":
    WORK = sys.argv.pop(1)
    os.makedirs(WORK, exist_ok=True)
    unittest.main(verbosity=2)
