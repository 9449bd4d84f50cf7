/* Plain C against cnnrt.h: load a library, list its signature, run it on
 * inputs from a raw file and print the outputs; then the mistakes a C caller
 * can make, each answered by a status, never a crash.
 *
 *   c_api_check MODEL.so INPUT.f32 [TRAIN.so]
 *
 * INPUT.f32 holds the model's single input (compiled shape, raw float32).
 * With TRAIN.so (a --train library of the same model), one training step on
 * that input with label 3 prints the loss, and a session then runs with the
 * trained parameters. */
#include "cnnrt/cnnrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

/* Prints a status' message; returns 1 if it is an error. */
static int report(const char *what, cnnrt_status *st) {
  if (!st)
    return 0;
  printf("%s: code %d: %s\n", what, (int)cnnrt_status_get_code(st), cnnrt_status_message(st));
  cnnrt_status_free(st);
  return 1;
}

static void expect_error(const char *what, cnnrt_status *st, cnnrt_status_code code) {
  if (!st) {
    printf("%s: UNEXPECTED SUCCESS\n", what);
    ++failures;
    return;
  }
  if (cnnrt_status_get_code(st) != code) {
    printf("%s: UNEXPECTED CODE %d\n", what, (int)cnnrt_status_get_code(st));
    ++failures;
  }
  report(what, st);
}

static size_t elements(int32_t rank, const int64_t *shape) {
  size_t n = 1;
  for (int32_t i = 0; i < rank; ++i)
    n *= (size_t)shape[i];
  return n;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.so INPUT.f32 [TRAIN.so]\n", argv[0]);
    return 2;
  }
  cnnrt_library *lib = NULL;
  if (report("load", cnnrt_library_load(argv[1], NULL, NULL, &lib)))
    return 1;
  printf("library %s on %s, device %s, batch %lld%s\n", cnnrt_library_name(lib),
         cnnrt_library_target(lib), cnnrt_library_device(lib),
         (long long)cnnrt_library_max_batch(lib),
         cnnrt_library_runtime_batch(lib) ? " (any batch up to it)" : "");
  const char *in_name, *out_name;
  int32_t in_rank, out_rank;
  const int64_t *in_shape, *out_shape;
  if (report("input info", cnnrt_library_tensor_info(lib, CNNRT_INPUTS, 0, &in_name, &in_rank,
                                                     &in_shape)) ||
      report("output info", cnnrt_library_tensor_info(lib, CNNRT_OUTPUTS, 0, &out_name,
                                                      &out_rank, &out_shape)))
    return 1;
  printf("input %s rank %d, output %s rank %d, %zu parameters\n", in_name, in_rank, out_name,
         out_rank, cnnrt_library_tensor_count(lib, CNNRT_PARAMETERS));

  size_t n_in = elements(in_rank, in_shape), n_out = elements(out_rank, out_shape);
  float *x = malloc(n_in * sizeof(float)), *y = malloc(n_out * sizeof(float));
  FILE *f = fopen(argv[2], "rb");
  if (!f || fread(x, sizeof(float), n_in, f) != n_in) {
    fprintf(stderr, "%s: cannot read %zu floats\n", argv[2], n_in);
    return 1;
  }
  fclose(f);

  cnnrt_session *s = NULL;
  if (report("session", cnnrt_session_create(lib, &s)))
    return 1;
  cnnrt_tensor in = {in_name, CNNRT_F32, in_rank, in_shape, x};
  cnnrt_mutable_tensor out = {out_name, CNNRT_F32, out_rank, out_shape, y};
  if (report("run", cnnrt_session_run(s, &in, 1, &out, 1, 0)))
    return 1;
  printf("outputs:");
  for (size_t i = 0; i < n_out; ++i)
    printf(" %.6f", y[i]);
  printf("\n");

  /* A caller's mistakes. */
  cnnrt_tensor wrong_name = in;
  wrong_name.name = "no_such_input";
  expect_error("wrong name", cnnrt_session_run(s, &wrong_name, 1, &out, 1, 0),
               CNNRT_INVALID_ARGUMENT);
  int64_t bad_shape[8];
  memcpy(bad_shape, in_shape, sizeof(int64_t) * (size_t)in_rank);
  bad_shape[in_rank - 1] += 1;
  cnnrt_tensor wrong_shape = in;
  wrong_shape.shape = bad_shape;
  expect_error("wrong shape", cnnrt_session_run(s, &wrong_shape, 1, &out, 1, 0),
               CNNRT_INVALID_ARGUMENT);
  cnnrt_tensor wrong_dtype = in;
  wrong_dtype.dtype = CNNRT_I32;
  expect_error("wrong dtype", cnnrt_session_run(s, &wrong_dtype, 1, &out, 1, 0),
               CNNRT_INVALID_ARGUMENT);
  expect_error("no output buffer", cnnrt_session_run(s, &in, 1, NULL, 0, 0),
               CNNRT_INVALID_ARGUMENT);
  expect_error("null session", cnnrt_session_run(NULL, &in, 1, &out, 1, 0),
               CNNRT_INVALID_ARGUMENT);
  expect_error("index out of range",
               cnnrt_library_tensor_info(lib, CNNRT_INPUTS, 99, NULL, NULL, NULL),
               CNNRT_INVALID_ARGUMENT);
  cnnrt_library *missing = NULL;
  expect_error("missing file", cnnrt_library_load("/no/such/model.so", NULL, NULL, &missing),
               CNNRT_ERROR);
  cnnrt_trainer *not_trainable = NULL;
  expect_error("trainer of an inference library", cnnrt_trainer_create(lib, &not_trainable),
               CNNRT_ERROR);

  if (argc > 3) {
    cnnrt_library *tlib = NULL;
    cnnrt_trainer *t = NULL;
    if (report("load train", cnnrt_library_load(argv[3], NULL, NULL, &tlib)) ||
        report("trainer", cnnrt_trainer_create(tlib, &t)))
      return 1;
    int64_t batch = in_shape[0];
    int64_t *labels = calloc((size_t)batch, sizeof(int64_t));
    for (int64_t i = 0; i < batch; ++i)
      labels[i] = 3;
    int64_t label_shape[1] = {batch};
    cnnrt_tensor lab = {"labels", CNNRT_I64, 1, label_shape, labels};
    float loss = 0;
    if (report("step", cnnrt_trainer_step(t, &in, 1, &lab, &loss)))
      return 1;
    printf("loss %.6f, step %lld, learning rate %.4f\n", loss,
           (long long)cnnrt_trainer_step_index(t), cnnrt_trainer_learning_rate(t));
    labels[0] = 1000;
    expect_error("label out of range", cnnrt_trainer_step(t, &in, 1, &lab, &loss),
                 CNNRT_INVALID_ARGUMENT);
    expect_error("negative learning rate", cnnrt_trainer_set_learning_rate(t, -1.0f),
                 CNNRT_INVALID_ARGUMENT);
    const char *pname;
    const int64_t *pshape;
    int32_t prank;
    report("param info", cnnrt_library_tensor_info(tlib, CNNRT_PARAMETERS, 0, &pname, &prank,
                                                   &pshape));
    size_t pn = elements(prank, pshape);
    float *g = malloc(pn * sizeof(float));
    if (report("gradient", cnnrt_trainer_read_gradient(t, pname, g, pn)))
      return 1;
    double norm = 0;
    for (size_t i = 0; i < pn; ++i)
      norm += (double)g[i] * g[i];
    printf("gradient of %s: %zu values, squared norm %s\n", pname, pn, norm > 0 ? "> 0" : "0");
    expect_error("gradient size", cnnrt_trainer_read_gradient(t, pname, g, pn + 1),
                 CNNRT_INVALID_ARGUMENT);
    cnnrt_session *ts = NULL;
    if (report("train session", cnnrt_session_create(tlib, &ts)) ||
        report("use trained", cnnrt_session_use_trainer_parameters(ts, t)) ||
        report("run trained", cnnrt_session_run(ts, &in, 1, &out, 1, 1)))
      return 1;
    printf("ran with trained parameters\n");
    /* The trainer and session keep their library alive. */
    cnnrt_library_release(tlib);
    if (report("run after release", cnnrt_session_run(ts, &in, 1, &out, 1, 1)))
      return 1;
    cnnrt_session_release(ts);
    cnnrt_trainer_release(t);
    free(g);
    free(labels);
  }
  cnnrt_session_release(s);
  cnnrt_library_release(lib);
  free(x);
  free(y);
  printf("%s\n", failures ? "FAILED" : "c api ok");
  return failures ? 1 : 0;
}
