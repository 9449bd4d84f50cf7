/*===- cnnrt.h - the cnnc runtime's C API ----------------------------------===*
 *
 * For C and for languages that bind C. Opaque handles, explicit ownership:
 * every create or load function has a release function, and every function that can fail
 * returns a cnnrt_status* that is NULL on success and otherwise owned by the
 * caller (cnnrt_status_free). No function aborts the process on bad input.
 *
 *   cnnrt_library *lib;
 *   cnnrt_status *st = cnnrt_library_load("lenet.so", NULL, NULL, &lib);
 *   if (st) { fprintf(stderr, "%s\n", cnnrt_status_message(st)); cnnrt_status_free(st); }
 *   cnnrt_session *s;  cnnrt_session_create(lib, &s);
 *   cnnrt_tensor in = {"image", CNNRT_F32, 4, shape, pixels};
 *   cnnrt_mutable_tensor out = {"fc", CNNRT_F32, 2, out_shape, logits};
 *   st = cnnrt_session_run(s, &in, 1, &out, 1, 0);
 *   cnnrt_session_release(s);  cnnrt_library_release(lib);
 *
 * Threads: a library handle may be used from any number of threads at once
 * (it is immutable); a session or a trainer by one thread at a time. Many
 * sessions of one library run concurrently and share its weights. A session
 * or trainer keeps its library alive: releasing the library handle first is
 * allowed.
 *
 *===----------------------------------------------------------------------===*/
#ifndef CNNRT_C_API_H
#define CNNRT_C_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CNNRT_C_API_VERSION 1

typedef struct cnnrt_status cnnrt_status;
typedef struct cnnrt_library cnnrt_library;
typedef struct cnnrt_session cnnrt_session;
typedef struct cnnrt_trainer cnnrt_trainer;

typedef enum cnnrt_status_code {
  CNNRT_OK = 0,
  /* A bad argument: a NULL handle, an unknown tensor name, a wrong shape or dtype. */
  CNNRT_INVALID_ARGUMENT = 1,
  /* Anything else cnnrt reports: a file that is not a cnnc library, a
     library for another target, a device error, memory exhausted. */
  CNNRT_ERROR = 2
} cnnrt_status_code;

cnnrt_status_code cnnrt_status_get_code(const cnnrt_status *status);
/* The message, naming the file and tensor involved; valid until freed. */
const char *cnnrt_status_message(const cnnrt_status *status);
void cnnrt_status_free(cnnrt_status *status);

typedef enum cnnrt_dtype { CNNRT_F32 = 0, CNNRT_I32 = 1, CNNRT_I64 = 2 } cnnrt_dtype;

/* A caller's dense, row-major host tensor, read in place. */
typedef struct cnnrt_tensor {
  const char *name;
  cnnrt_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  const void *data;
} cnnrt_tensor;

/* A caller's dense, row-major host buffer that a call writes. */
typedef struct cnnrt_mutable_tensor {
  const char *name;
  cnnrt_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  void *data;
} cnnrt_mutable_tensor;

/* ---- Libraries ---------------------------------------------------------- */

/* Loads a compiled model. `weights_path` (or NULL) replaces the embedded
   parameters or names the external weights file; `device` is NULL, "cpu"
   or "cuda" (an error if the library is compiled for the other). */
cnnrt_status *cnnrt_library_load(const char *path, const char *weights_path, const char *device,
                                 cnnrt_library **out);
void cnnrt_library_release(cnnrt_library *library);

const char *cnnrt_library_name(const cnnrt_library *library);
/* "x86_64 (znver4)" or "nvptx (sm_90)". */
const char *cnnrt_library_target(const cnnrt_library *library);
/* "cpu" or "cuda". */
const char *cnnrt_library_device(const cnnrt_library *library);
/* The library's metadata (JSON). */
const char *cnnrt_library_metadata(const cnnrt_library *library);
/* The compiled batch N; runtime_batch is 1 when any batch in [1, N] runs. */
int64_t cnnrt_library_max_batch(const cnnrt_library *library);
int cnnrt_library_runtime_batch(const cnnrt_library *library);
int cnnrt_library_trainable(const cnnrt_library *library);

typedef enum cnnrt_tensor_kind {
  CNNRT_INPUTS = 0,
  CNNRT_OUTPUTS = 1,
  CNNRT_PARAMETERS = 2
} cnnrt_tensor_kind;

size_t cnnrt_library_tensor_count(const cnnrt_library *library, cnnrt_tensor_kind kind);
/* The index-th input/output/parameter: its name, rank and shape (compiled
   batch), valid while the library lives. Returns CNNRT_INVALID_ARGUMENT
   status for an index out of range. */
cnnrt_status *cnnrt_library_tensor_info(const cnnrt_library *library, cnnrt_tensor_kind kind,
                                        size_t index, const char **name, int32_t *rank,
                                        const int64_t **shape);

/* ---- Sessions: forward passes ------------------------------------------- */

cnnrt_status *cnnrt_session_create(const cnnrt_library *library, cnnrt_session **out);
void cnnrt_session_release(cnnrt_session *session);
/* Runs the forward graph: every input by name, and a buffer for every
   output with the shape the batch gives (the compiled shape with first
   dimension B). `threads` 0 is the process default. */
cnnrt_status *cnnrt_session_run(cnnrt_session *session, const cnnrt_tensor *inputs,
                                size_t input_count, const cnnrt_mutable_tensor *outputs,
                                size_t output_count, int32_t threads);
/* Later runs use the trainer's current parameters. */
cnnrt_status *cnnrt_session_use_trainer_parameters(cnnrt_session *session,
                                                   cnnrt_trainer *trainer);

/* ---- Trainers: training steps of a --train library ---------------------- */

cnnrt_status *cnnrt_trainer_create(const cnnrt_library *library, cnnrt_trainer **out);
void cnnrt_trainer_release(cnnrt_trainer *trainer);
/* One optimizer step; `labels` is I32 or I64 [B]. Writes the mean loss. */
cnnrt_status *cnnrt_trainer_step(cnnrt_trainer *trainer, const cnnrt_tensor *inputs,
                                 size_t input_count, const cnnrt_tensor *labels, float *loss);
float cnnrt_trainer_learning_rate(const cnnrt_trainer *trainer);
cnnrt_status *cnnrt_trainer_set_learning_rate(cnnrt_trainer *trainer, float learning_rate);
cnnrt_status *cnnrt_trainer_set_seed(cnnrt_trainer *trainer, uint64_t seed);
int64_t cnnrt_trainer_step_index(const cnnrt_trainer *trainer);
/* Copies a parameter's current value, or the last step's gradient of a
   learnable one, into `dst` (`count` floats: exactly the tensor's size). */
cnnrt_status *cnnrt_trainer_read_parameter(const cnnrt_trainer *trainer, const char *name,
                                           float *dst, size_t count);
cnnrt_status *cnnrt_trainer_read_gradient(const cnnrt_trainer *trainer, const char *name,
                                          float *dst, size_t count);
cnnrt_status *cnnrt_trainer_save_parameters(const cnnrt_trainer *trainer, const char *path);
cnnrt_status *cnnrt_trainer_load_parameters(cnnrt_trainer *trainer, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* CNNRT_C_API_H */
