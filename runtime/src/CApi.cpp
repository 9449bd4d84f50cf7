//===- CApi.cpp - cnnrt.h on top of the C++ runtime -----------------------===//

#include "cnnrt/cnnrt.h"

#include "cnnrt/Library.h"
#include "cnnrt/Session.h"
#include "cnnrt/Trainer.h"

#include <cstring>
#include <new>

struct cnnrt_status {
  cnnrt_status_code code;
  std::string message;
};

struct cnnrt_library {
  std::shared_ptr<const cnnrt::Library> library;
};

struct cnnrt_session {
  cnnrt::Session session;
};

struct cnnrt_trainer {
  cnnrt::Trainer trainer;
};

namespace {

cnnrt_status *makeStatus(cnnrt_status_code code, std::string message) {
  return new (std::nothrow) cnnrt_status{code, std::move(message)};
}

/// Runs `fn`, turning every exception into a status.
template <typename Fn> cnnrt_status *guarded(Fn &&fn) {
  try {
    fn();
    return nullptr;
  } catch (const cnnrt::InvalidArgument &e) {
    return makeStatus(CNNRT_INVALID_ARGUMENT, e.what());
  } catch (const cnnrt::Error &e) {
    return makeStatus(CNNRT_ERROR, e.what());
  } catch (const std::bad_alloc &) {
    return makeStatus(CNNRT_ERROR, "out of memory");
  } catch (const std::exception &e) {
    return makeStatus(CNNRT_ERROR, e.what());
  }
}

cnnrt_status *invalid(const std::string &message) {
  return makeStatus(CNNRT_INVALID_ARGUMENT, message);
}

bool dtypeOf(cnnrt_dtype d, cnnrt::DType &out) {
  switch (d) {
  case CNNRT_F32: out = cnnrt::DType::F32; return true;
  case CNNRT_I32: out = cnnrt::DType::I32; return true;
  case CNNRT_I64: out = cnnrt::DType::I64; return true;
  }
  return false;
}

/// Host-tensor descriptors to views; a bad descriptor is an invalid argument.
template <typename CTensor, typename View>
cnnrt_status *toViews(const CTensor *tensors, size_t count, const char *what,
                      std::vector<View> &views) {
  if (count && !tensors)
    return invalid(std::string(what) + ": NULL array");
  for (size_t i = 0; i < count; ++i) {
    const CTensor &t = tensors[i];
    View v;
    if (!t.name)
      return invalid(std::string(what) + " " + std::to_string(i) + ": no name");
    v.name = t.name;
    if (!dtypeOf(t.dtype, v.dtype))
      return invalid(std::string(what) + " '" + v.name + "': unknown dtype");
    if (t.rank < 0 || t.rank > 16 || (t.rank && !t.shape))
      return invalid(std::string(what) + " '" + v.name + "': bad rank or shape");
    v.shape.assign(t.shape, t.shape + t.rank);
    v.data = t.data;
    views.push_back(std::move(v));
  }
  return nullptr;
}

const std::vector<cnnrt::TensorInfo> *tensorsOf(const cnnrt_library *l, cnnrt_tensor_kind kind) {
  switch (kind) {
  case CNNRT_INPUTS: return &l->library->inputs();
  case CNNRT_OUTPUTS: return &l->library->outputs();
  case CNNRT_PARAMETERS: return &l->library->parameters();
  }
  return nullptr;
}

cnnrt_status *readTensor(const std::map<std::string, cnnrt::Tensor> &all, const char *name,
                         const char *what, float *dst, size_t count) {
  if (!name || (!dst && count))
    return invalid(std::string(what) + ": NULL name or destination");
  auto it = all.find(name);
  if (it == all.end())
    return invalid(std::string("no ") + what + " named '" + name + "'");
  size_t n = size_t(it->second.numElements());
  if (n != count)
    return invalid(std::string(what) + " '" + name + "' has " + std::to_string(n) +
                   " elements, the destination " + std::to_string(count));
  std::memcpy(dst, it->second.bytes.data(), n * sizeof(float));
  return nullptr;
}

} // namespace

extern "C" {

cnnrt_status_code cnnrt_status_get_code(const cnnrt_status *s) { return s ? s->code : CNNRT_OK; }
const char *cnnrt_status_message(const cnnrt_status *s) { return s ? s->message.c_str() : ""; }
void cnnrt_status_free(cnnrt_status *s) { delete s; }

cnnrt_status *cnnrt_library_load(const char *path, const char *weights, const char *device,
                                 cnnrt_library **out) {
  if (!path || !out)
    return invalid("cnnrt_library_load: NULL path or result");
  *out = nullptr;
  return guarded([&] {
    cnnrt::LoadOptions options;
    options.weightsPath = weights ? weights : "";
    options.device = device ? device : "";
    *out = new cnnrt_library{cnnrt::Library::load(path, options)};
  });
}

void cnnrt_library_release(cnnrt_library *l) { delete l; }

const char *cnnrt_library_name(const cnnrt_library *l) { return l ? l->library->name().c_str() : ""; }
const char *cnnrt_library_target(const cnnrt_library *l) {
  return l ? l->library->target().c_str() : "";
}
const char *cnnrt_library_device(const cnnrt_library *l) {
  return l ? l->library->device().c_str() : "";
}
const char *cnnrt_library_metadata(const cnnrt_library *l) {
  return l ? l->library->metadata().c_str() : "";
}
int64_t cnnrt_library_max_batch(const cnnrt_library *l) { return l ? l->library->maxBatch() : 0; }
int cnnrt_library_runtime_batch(const cnnrt_library *l) {
  return l && l->library->runtimeBatch() ? 1 : 0;
}
int cnnrt_library_trainable(const cnnrt_library *l) { return l && l->library->trainable() ? 1 : 0; }

size_t cnnrt_library_tensor_count(const cnnrt_library *l, cnnrt_tensor_kind kind) {
  const auto *v = l ? tensorsOf(l, kind) : nullptr;
  return v ? v->size() : 0;
}

cnnrt_status *cnnrt_library_tensor_info(const cnnrt_library *l, cnnrt_tensor_kind kind,
                                        size_t index, const char **name, int32_t *rank,
                                        const int64_t **shape) {
  const auto *v = l ? tensorsOf(l, kind) : nullptr;
  if (!v)
    return invalid("cnnrt_library_tensor_info: NULL library or unknown kind");
  if (index >= v->size())
    return invalid("cnnrt_library_tensor_info: index " + std::to_string(index) + " of " +
                   std::to_string(v->size()));
  const cnnrt::TensorInfo &t = (*v)[index];
  if (name)
    *name = t.name.c_str();
  if (rank)
    *rank = int32_t(t.shape.size());
  if (shape)
    *shape = t.shape.data();
  return nullptr;
}

cnnrt_status *cnnrt_session_create(const cnnrt_library *l, cnnrt_session **out) {
  if (!l || !out)
    return invalid("cnnrt_session_create: NULL library or result");
  *out = nullptr;
  return guarded([&] { *out = new cnnrt_session{cnnrt::Session(l->library)}; });
}

void cnnrt_session_release(cnnrt_session *s) { delete s; }

cnnrt_status *cnnrt_session_run(cnnrt_session *s, const cnnrt_tensor *inputs, size_t inputCount,
                                const cnnrt_mutable_tensor *outputs, size_t outputCount,
                                int32_t threads) {
  if (!s)
    return invalid("cnnrt_session_run: NULL session");
  std::vector<cnnrt::TensorView> ins;
  std::vector<cnnrt::MutableTensorView> outs;
  if (cnnrt_status *st = toViews(inputs, inputCount, "input", ins))
    return st;
  if (cnnrt_status *st = toViews(outputs, outputCount, "output", outs))
    return st;
  if (threads < 0)
    return invalid("cnnrt_session_run: threads must be >= 0");
  cnnrt::RunOptions options;
  options.threads = threads;
  return guarded([&] { s->session.run(ins, outs, options); });
}

cnnrt_status *cnnrt_session_use_trainer_parameters(cnnrt_session *s, cnnrt_trainer *t) {
  if (!s || !t)
    return invalid("cnnrt_session_use_trainer_parameters: NULL session or trainer");
  return guarded([&] { s->session.setParameters(t->trainer.snapshot()); });
}

cnnrt_status *cnnrt_trainer_create(const cnnrt_library *l, cnnrt_trainer **out) {
  if (!l || !out)
    return invalid("cnnrt_trainer_create: NULL library or result");
  *out = nullptr;
  return guarded([&] { *out = new cnnrt_trainer{cnnrt::Trainer(l->library)}; });
}

void cnnrt_trainer_release(cnnrt_trainer *t) { delete t; }

cnnrt_status *cnnrt_trainer_step(cnnrt_trainer *t, const cnnrt_tensor *inputs, size_t inputCount,
                                 const cnnrt_tensor *labels, float *loss) {
  if (!t || !labels)
    return invalid("cnnrt_trainer_step: NULL trainer or labels");
  std::vector<cnnrt::TensorView> ins, lab;
  if (cnnrt_status *st = toViews(inputs, inputCount, "input", ins))
    return st;
  if (cnnrt_status *st = toViews(labels, 1, "labels", lab))
    return st;
  return guarded([&] {
    float l = t->trainer.step(ins, lab[0]);
    if (loss)
      *loss = l;
  });
}

float cnnrt_trainer_learning_rate(const cnnrt_trainer *t) {
  return t ? t->trainer.learningRate() : 0.0f;
}

cnnrt_status *cnnrt_trainer_set_learning_rate(cnnrt_trainer *t, float lr) {
  if (!t)
    return invalid("cnnrt_trainer_set_learning_rate: NULL trainer");
  return guarded([&] { t->trainer.setLearningRate(lr); });
}

cnnrt_status *cnnrt_trainer_set_seed(cnnrt_trainer *t, uint64_t seed) {
  if (!t)
    return invalid("cnnrt_trainer_set_seed: NULL trainer");
  t->trainer.setSeed(seed);
  return nullptr;
}

int64_t cnnrt_trainer_step_index(const cnnrt_trainer *t) { return t ? t->trainer.stepIndex() : 0; }

cnnrt_status *cnnrt_trainer_read_parameter(const cnnrt_trainer *t, const char *name, float *dst,
                                           size_t count) {
  if (!t)
    return invalid("cnnrt_trainer_read_parameter: NULL trainer");
  cnnrt_status *st = nullptr;
  if (cnnrt_status *e = guarded([&] {
        st = readTensor(t->trainer.parameterValues(), name, "parameter", dst, count);
      }))
    return e;
  return st;
}

cnnrt_status *cnnrt_trainer_read_gradient(const cnnrt_trainer *t, const char *name, float *dst,
                                          size_t count) {
  if (!t)
    return invalid("cnnrt_trainer_read_gradient: NULL trainer");
  cnnrt_status *st = nullptr;
  if (cnnrt_status *e = guarded([&] {
        st = readTensor(t->trainer.gradients(), name, "gradient", dst, count);
      }))
    return e;
  return st;
}

cnnrt_status *cnnrt_trainer_save_parameters(const cnnrt_trainer *t, const char *path) {
  if (!t || !path)
    return invalid("cnnrt_trainer_save_parameters: NULL trainer or path");
  return guarded([&] { t->trainer.saveParameters(path); });
}

cnnrt_status *cnnrt_trainer_load_parameters(cnnrt_trainer *t, const char *path) {
  if (!t || !path)
    return invalid("cnnrt_trainer_load_parameters: NULL trainer or path");
  return guarded([&] { t->trainer.loadParameters(path); });
}

} // extern "C"
