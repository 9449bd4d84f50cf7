/* A stand-in for the CUDA driver (libcuda.so.1) that runs nothing and logs
 * what libcnnrt asks of it, one line per call, to $FAKE_CUDA_LOG: tests of
 * the host side of nvptx libraries (one wait per call, graph capture and
 * replay, profile events) on machines without a GPU. Memory is host memory;
 * kernels do not run, so outputs are meaningless. Found through
 * LD_LIBRARY_PATH, never installed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
enum {
  kSuccess = 0,
  kInvalidValue = 1,
  kCaptureUnsupported = 900, /* CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED */
  kCaptureInvalidated = 901  /* CUDA_ERROR_STREAM_CAPTURE_INVALIDATED */
};

static int capturing;       /* inside cuStreamBeginCapture .. EndCapture */
static int captureBroken;   /* a call the real driver refuses while capturing */
static int capturedLaunches;
static int eventCount;
static int launchesSinceSync; /* kernels launched since the last wait */

static void logLine(const char *fmt, ...) {
  const char *path = getenv("FAKE_CUDA_LOG");
  FILE *f = path ? fopen(path, "a") : stderr;
  if (!f)
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  if (path)
    fclose(f);
}

CUresult cuInit(unsigned flags) { (void)flags; return kSuccess; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return kSuccess; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return kSuccess; }
CUresult cuDeviceGetName(char *name, int len, int d) {
  (void)d;
  snprintf(name, (size_t)len, "fake CUDA device");
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  (void)d;
  *v = attr == 75 ? 9 : 0; /* compute capability 9.0 */
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  (void)d;
  *ctx = (void *)0x1;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *ctx) { (void)ctx; return kSuccess; }
CUresult cuCtxSynchronize(void) { logLine("ctx-sync"); return kSuccess; }
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == kCaptureUnsupported ? "operation not permitted when stream is capturing"
                                : "fake CUDA error";
  return kSuccess;
}

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *opts, void **vals) {
  (void)n, (void)opts, (void)vals;
  int kernels = 0;
  for (const char *p = (const char *)image; (p = strstr(p, ".entry ")); ++p)
    ++kernels;
  logLine("module-load kernels=%d", kernels);
  *module = malloc(1);
  return kSuccess;
}
CUresult cuModuleUnload(void *module) { free(module); return kSuccess; }
CUresult cuModuleGetFunction(void **fn, void *module, const char *name) {
  (void)module;
  *fn = strdup(name); /* leaked: a handful per library */
  return kSuccess;
}
CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned smem, void *stream, void **params,
                        void **extra) {
  (void)gy, (void)gz, (void)by, (void)bz, (void)smem, (void)stream, (void)params, (void)extra;
  if (capturing) {
    ++capturedLaunches;
    return kSuccess;
  }
  ++launchesSinceSync;
  logLine("launch %s grid=%u block=%u", (const char *)fn, gx, bx);
  return kSuccess;
}

CUresult cuStreamCreate(void **s, unsigned flags) {
  (void)flags;
  *s = (void *)0x2;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *s) { (void)s; return kSuccess; }
CUresult cuStreamSynchronize(void *s) {
  (void)s;
  if (capturing) {
    captureBroken = 1;
    return kCaptureUnsupported;
  }
  logLine("stream-sync after %d launches", launchesSinceSync);
  launchesSinceSync = 0;
  return kSuccess;
}

CUresult cuMemAlloc_v2(unsigned long long *p, size_t bytes) {
  *p = (unsigned long long)(size_t)calloc(1, bytes);
  return *p ? kSuccess : kInvalidValue;
}
CUresult cuMemFree_v2(unsigned long long p) { free((void *)(size_t)p); return kSuccess; }
CUresult cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t bytes) {
  memcpy((void *)(size_t)dst, src, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t bytes) {
  memcpy(dst, (const void *)(size_t)src, bytes);
  logLine("copy-to-host bytes=%zu", bytes);
  return kSuccess;
}

/* Events: the n-th event recorded is taken at n milliseconds. */
CUresult cuEventCreate(void **e, unsigned flags) {
  (void)flags;
  *e = malloc(sizeof(int));
  return kSuccess;
}
CUresult cuEventRecord(void *e, void *s) {
  (void)s;
  *(int *)e = eventCount++;
  logLine("event-record");
  return kSuccess;
}
CUresult cuEventSynchronize(void *e) { (void)e; return kSuccess; }
CUresult cuEventElapsedTime_v2(float *ms, void *start, void *end) {
  *ms = (float)(*(int *)end - *(int *)start);
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *e) { free(e); return kSuccess; }

/* Graphs: a graph is the number of launches captured into it. */
CUresult cuStreamBeginCapture_v2(void *s, int mode) {
  (void)s;
  capturing = 1;
  captureBroken = 0;
  capturedLaunches = 0;
  logLine("capture-begin mode=%d", mode);
  return kSuccess;
}
CUresult cuStreamEndCapture(void *s, void **graph) {
  (void)s;
  capturing = 0;
  if (captureBroken) {
    logLine("capture-end invalidated");
    *graph = NULL;
    return kCaptureInvalidated;
  }
  logLine("capture-end launches=%d", capturedLaunches);
  int *g = malloc(sizeof(int));
  *g = capturedLaunches;
  *graph = g;
  return kSuccess;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags) {
  (void)flags;
  int *e = malloc(sizeof(int));
  *e = *(int *)graph;
  *exec = e;
  return kSuccess;
}
CUresult cuGraphLaunch(void *exec, void *s) {
  (void)s;
  logLine("graph-launch launches=%d", *(int *)exec);
  launchesSinceSync += *(int *)exec;
  return kSuccess;
}
CUresult cuGraphDestroy(void *graph) { free(graph); return kSuccess; }
CUresult cuGraphExecDestroy(void *exec) { free(exec); return kSuccess; }
