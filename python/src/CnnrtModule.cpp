//===- CnnrtModule.cpp - cnnc._cnnrt: the runtime for Python ---------------===//
//
// The compiled extension under `cnnc.load` (python/cnnc/__init__.py): a
// cnnrt::Model (a loaded library, a pool of sessions, a trainer) driven
// with NumPy arrays. Inputs are read in place; outputs are NumPy arrays the
// compiled code writes directly. The GIL is released while a model runs,
// so Python threads run one model concurrently. The Python layer checks
// and converts feeds (DLPack, contiguity) before they get here.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/MpiCommunicator.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace {

using FloatArray = py::array_t<float, py::array::c_style>;

/// Views of C-contiguous NumPy arrays (the Python layer made them so),
/// checked against the model's inputs by the runtime.
std::vector<cnnrt::TensorView> viewsOf(const py::dict &feeds) {
  std::vector<cnnrt::TensorView> views;
  for (auto item : feeds) {
    std::string name = py::str(item.first);
    py::array a = py::reinterpret_borrow<py::array>(item.second);
    cnnrt::TensorView v;
    v.name = name;
    if (a.dtype().is(py::dtype::of<float>()))
      v.dtype = cnnrt::DType::F32;
    else if (a.dtype().is(py::dtype::of<int32_t>()))
      v.dtype = cnnrt::DType::I32;
    else if (a.dtype().is(py::dtype::of<int64_t>()))
      v.dtype = cnnrt::DType::I64;
    else
      throw cnnrt::InvalidArgument("tensor '" + name + "' has dtype " +
                                   std::string(py::str(a.dtype())) + "; expected float32");
    if (!(a.flags() & py::array::c_style))
      throw cnnrt::InvalidArgument("tensor '" + name + "' is not C-contiguous");
    v.shape.assign(a.shape(), a.shape() + a.ndim());
    v.data = a.data();
    views.push_back(std::move(v));
  }
  return views;
}

py::list signature(const std::vector<cnnrt::TensorInfo> &infos) {
  py::list out;
  for (const auto &t : infos)
    out.append(py::make_tuple(t.name, py::tuple(py::cast(t.shape))));
  return out;
}

py::dict toNumpy(const std::map<std::string, cnnrt::Tensor> &tensors) {
  py::dict out;
  for (const auto &[name, t] : tensors) {
    FloatArray a(t.shape);
    std::memcpy(a.mutable_data(), t.bytes.data(), t.bytes.size());
    out[py::str(name)] = std::move(a);
  }
  return out;
}

class PyModel {
public:
  PyModel(const std::string &path, const std::string &weights, const std::string &device) {
    cnnrt::LoadOptions options;
    options.weightsPath = weights;
    options.device = device;
    model_ = cnnrt::Model::load(path, options);
  }

  const cnnrt::Library &library() const { return *model_->library(); }

  /// Outputs for `feeds` (name -> C-contiguous array), by name in the model's order.
  py::dict run(const py::dict &feeds, int threads) {
    std::vector<cnnrt::TensorView> inputs = viewsOf(feeds);
    py::dict out;
    std::vector<FloatArray> arrays;
    std::vector<cnnrt::MutableTensorView> outputs;
    for (const auto &o : library().outputsForBatch(library().batchOf(inputs))) {
      arrays.emplace_back(o.shape);
      outputs.push_back({o.name, cnnrt::DType::F32, o.shape, arrays.back().mutable_data()});
    }
    cnnrt::RunOptions options;
    options.threads = threads;
    {
      py::gil_scoped_release release;
      model_->forward(inputs, outputs, options);
    }
    for (size_t i = 0; i < outputs.size(); ++i)
      out[py::str(outputs[i].name)] = std::move(arrays[i]);
    return out;
  }

  /// Copies of the feeds, by name (profiles take owned tensors).
  static std::map<std::string, cnnrt::Tensor> tensorsOf(const py::dict &feeds) {
    std::map<std::string, cnnrt::Tensor> tensors;
    for (const auto &v : viewsOf(feeds)) {
      cnnrt::Tensor t(v.shape, v.dtype);
      std::memcpy(t.bytes.data(), v.data, t.bytes.size());
      tensors.emplace(v.name, std::move(t));
    }
    return tensors;
  }

  py::list profile(const py::dict &feeds, int threads) {
    std::map<std::string, cnnrt::Tensor> tensors = tensorsOf(feeds);
    cnnrt::RunOptions options;
    options.threads = threads;
    std::vector<std::pair<std::string, double>> layers;
    {
      py::gil_scoped_release release;
      model_->forward(tensors, options); // warm-up
      layers = model_->profile(tensors, options);
    }
    py::list out;
    for (const auto &[name, ms] : layers)
      out.append(py::make_tuple(name, ms));
    return out;
  }

  /// (loss, [(op, ms)]): one training step timed per op of the step.
  py::tuple profileTrainStep(const py::dict &feeds, const py::array &labels) {
    std::map<std::string, cnnrt::Tensor> tensors = tensorsOf(feeds);
    py::dict labelFeed;
    labelFeed["labels"] = labels;
    cnnrt::Tensor labelTensor = std::move(tensorsOf(labelFeed).at("labels"));
    std::vector<std::pair<std::string, double>> ops;
    float loss = 0;
    {
      py::gil_scoped_release release;
      ops = model_->profileTrainStep(tensors, labelTensor, &loss);
    }
    py::list out;
    for (const auto &[name, ms] : ops)
      out.append(py::make_tuple(name, ms));
    return py::make_tuple(loss, out);
  }

  float trainStep(const py::dict &feeds, const py::array &labels) {
    std::vector<cnnrt::TensorView> inputs = viewsOf(feeds);
    py::dict labelFeed;
    labelFeed["labels"] = labels;
    cnnrt::TensorView lab = viewsOf(labelFeed)[0];
    py::gil_scoped_release release;
    return model_->trainStep(inputs, lab);
  }

  py::dict parameters() const {
    std::map<std::string, cnnrt::Tensor> values;
    {
      py::gil_scoped_release release;
      values = model_->parameterValues();
    }
    return toNumpy(values);
  }

  py::dict gradients() const {
    std::map<std::string, cnnrt::Tensor> values;
    {
      py::gil_scoped_release release;
      values = model_->gradients();
    }
    return toNumpy(values);
  }

  cnnrt::Model &model() { return *model_; }

private:
  std::unique_ptr<cnnrt::Model> model_;
};

} // namespace

PYBIND11_MODULE(_cnnrt, m) {
  m.doc() = "cnnc's runtime (libcnnrt) for Python; use the cnnc package";
  // Callers' mistakes are ValueErrors; everything else the runtime reports
  // (not a cnnc library, wrong target, device errors) is cnnc.RuntimeError.
  // pybind11 tries the translators last-registered first: the subclass last.
  py::register_exception<cnnrt::Error>(m, "RuntimeError", PyExc_RuntimeError);
  py::register_exception<cnnrt::InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);

  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::string &, const std::string &, const std::string &>(),
           py::arg("path"), py::arg("weights") = "", py::arg("device") = "")
      .def_property_readonly("path", [](PyModel &s) { return s.library().path(); })
      .def_property_readonly("name", [](PyModel &s) { return s.library().name(); })
      .def_property_readonly("target", [](PyModel &s) { return s.library().target(); })
      .def_property_readonly("device", [](PyModel &s) { return s.library().device(); })
      .def_property_readonly("metadata", [](PyModel &s) { return s.library().metadata(); })
      .def_property_readonly("inputs", [](PyModel &s) { return signature(s.library().inputs()); })
      .def_property_readonly("outputs",
                             [](PyModel &s) { return signature(s.library().outputs()); })
      .def_property_readonly("parameter_shapes",
                             [](PyModel &s) { return signature(s.library().parameters()); })
      .def_property_readonly("layers", [](PyModel &s) { return s.library().layers(); })
      .def_property_readonly("arena_bytes", [](PyModel &s) { return s.library().arenaBytes(); })
      .def_property_readonly("max_batch", [](PyModel &s) { return s.library().maxBatch(); })
      .def_property_readonly("runtime_batch",
                             [](PyModel &s) { return s.library().runtimeBatch(); })
      .def_property_readonly("trainable", [](PyModel &s) { return s.library().trainable(); })
      .def("run", &PyModel::run, py::arg("feeds"), py::arg("threads") = 0)
      .def("profile", &PyModel::profile, py::arg("feeds"), py::arg("threads") = 0)
      .def("train_step", &PyModel::trainStep, py::arg("feeds"), py::arg("labels"))
      .def("profile_train_step", &PyModel::profileTrainStep, py::arg("feeds"), py::arg("labels"))
      .def("parameters", &PyModel::parameters)
      .def("gradients", &PyModel::gradients)
      .def_property(
          "learning_rate", [](PyModel &s) { return s.model().learningRate(); },
          [](PyModel &s, float lr) { s.model().setLearningRate(lr); })
      .def_property(
          "seed", [](PyModel &s) { return s.model().seed(); },
          [](PyModel &s, uint64_t seed) { s.model().setSeed(seed); })
      .def_property_readonly("step_index", [](PyModel &s) { return s.model().stepIndex(); })
      .def("save_parameters",
           [](PyModel &s, const std::string &path) {
             py::gil_scoped_release release;
             s.model().saveParameters(path);
           })
      .def("load_parameters",
           [](PyModel &s, const std::string &path) {
             py::gil_scoped_release release;
             s.model().loadParameters(path);
           })
      .def("save_checkpoint",
           [](PyModel &s, const std::string &path) {
             py::gil_scoped_release release;
             s.model().saveCheckpoint(path);
           })
      .def("load_checkpoint",
           [](PyModel &s, const std::string &path) {
             py::gil_scoped_release release;
             s.model().loadCheckpoint(path);
           })
      // Data-parallel training over MPI_COMM_WORLD (docs/training.md).
      .def("use_mpi", [](PyModel &s) {
        auto world = cnnrt::MpiCommunicator::world();
        {
          py::gil_scoped_release release;
          s.model().setCommunicator(world);
        }
        return py::make_tuple(world->rank(), world->size());
      });
}
