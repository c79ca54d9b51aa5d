/*===- CApi.h - The runtime's C ABI ----------------------------------------===*
 *
 * A stable C interface over larc::runtime::Package for other languages (the
 * Python package binds it with ctypes) and for C programs. Functions return
 * LARC_OK (0) or an error code; larcLastError() then gives the message of the
 * failed call on this thread ("larc: argument 'k': expected shape ...").
 *
 *   LarcPackage *package;
 *   if (larcPackageLoad("build/gdn", &package) != LARC_OK)
 *     fprintf(stderr, "%s\n", larcLastError());
 *
 *===----------------------------------------------------------------------===*/

#ifndef LARC_RUNTIME_CAPI_H
#define LARC_RUNTIME_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below or a function's meaning changes. */
#define LARC_ABI_VERSION 1

/* Status codes. */
#define LARC_OK 0
#define LARC_ERROR_INVALID 1 /* a bad argument, package or manifest */
#define LARC_ERROR_CUDA 2 /* no usable CUDA driver, or a driver call failed */
#define LARC_ERROR_INTERNAL 3 /* a bug in larc: please report it */

/* Element types (larc::runtime::DType). */
#define LARC_DTYPE_UNKNOWN 0
#define LARC_DTYPE_FLOAT32 1
#define LARC_DTYPE_FLOAT16 2
#define LARC_DTYPE_BFLOAT16 3
#define LARC_DTYPE_FLOAT64 4
#define LARC_DTYPE_INT32 5
#define LARC_DTYPE_INT64 6
#define LARC_DTYPE_INT16 7
#define LARC_DTYPE_INT8 8
#define LARC_DTYPE_UINT8 9
#define LARC_DTYPE_BOOL 10

/* Device types. */
#define LARC_DEVICE_CPU 0
#define LARC_DEVICE_CUDA 1

#define LARC_MAX_RANK 8

/* LarcCall.flags: at launch, copy a device cu_seqlens to the host and check
 * its values (this synchronises the stream); see docs/package-format.md. */
#define LARC_FLAG_COPY_CU_SEQLENS_TO_HOST 1u

/* A tensor the caller owns. Strides are in elements. */
typedef struct LarcTensor {
  void *data;
  int32_t dtype; /* LARC_DTYPE_* */
  int32_t rank;  /* up to LARC_MAX_RANK */
  int64_t shape[LARC_MAX_RANK];
  int64_t strides[LARC_MAX_RANK];
  int32_t deviceType; /* LARC_DEVICE_* */
  int32_t deviceIndex;
} LarcTensor;

/* One call. Arrays hold one pointer per manifest entry, in manifest order; a
 * NULL pointer (or a NULL array) means "not given". */
typedef struct LarcCall {
  int32_t numInputs, numOutputs, numStates; /* must match the package */
  int32_t hasScale;                         /* scale is used when nonzero */
  const LarcTensor *const *inputs;
  const LarcTensor *const *outputs;       /* required by larcLaunch */
  const LarcTensor *const *initialStates; /* NULL entry: start from zeros */
  const LarcTensor *const *finalStates;   /* NULL entry: not written */
  const LarcTensor *cuSeqlens;            /* int32 [N + 1] on the device */
  const LarcTensor *cuSeqlensHost;        /* optional host copy, checked */
  double scale;
  uint32_t flags; /* LARC_FLAG_* */
  uint32_t reserved;
} LarcCall;

/* What a call will do (larc::runtime::Plan). Shapes of rank < 4 leave the
 * trailing entries 0. */
typedef struct LarcPlanInfo {
  int32_t kernelIndex;
  int32_t dtype; /* of query, key and value: LARC_DTYPE_* */
  int32_t deviceType, deviceIndex;
  int64_t batch, seqLen, heads, valueHeads, sequences;
  uint64_t grid[3];
  float scale;
  int32_t numOutputs;
  int32_t outputRanks[4];
  int32_t outputDTypes[4];
  int64_t outputShapes[4][4];
  int32_t numStates;
  int32_t stateRanks[4];
  int64_t stateShapes[4][4]; /* fp32 */
} LarcPlanInfo;

typedef struct LarcPackage LarcPackage;

/* The message of this thread's last failed call; "" if none. */
const char *larcLastError(void);
int32_t larcAbiVersion(void);
/* sizeof a struct of this header by name ("LarcTensor", "LarcCall",
 * "LarcPlanInfo", "LarcLaunchParams"), 0 if unknown: lets a binding check
 * its own layout against the library's. */
size_t larcStructSize(const char *name);
/* LARC_OK if the CUDA driver can be used, else LARC_ERROR_CUDA with the
 * reason in larcLastError(). */
int32_t larcDriverAvailable(void);

int32_t larcPackageLoad(const char *directory, LarcPackage **package);
void larcPackageFree(LarcPackage *package);

/* Descriptions of a loaded package; strings live as long as the package. */
const char *larcPackageRule(const LarcPackage *package);
const char *larcPackageDirectory(const LarcPackage *package);
int32_t larcPackageUsesScale(const LarcPackage *package);
int32_t larcPackageNumInputs(const LarcPackage *package);
const char *larcPackageInputName(const LarcPackage *package, int32_t index);
/* "query", "key", "value", "log_gate", "gate", "coefficient". */
const char *larcPackageInputRole(const LarcPackage *package, int32_t index);
/* The input's fixed LARC_DTYPE_*, or LARC_DTYPE_UNKNOWN (0) when it takes
 * the kernel's dtype (that of the query, key and value inputs). */
int32_t larcPackageInputDType(const LarcPackage *package, int32_t index);
int32_t larcPackageNumStates(const LarcPackage *package);
const char *larcPackageStateName(const LarcPackage *package, int32_t index);
int32_t larcPackageNumOutputs(const LarcPackage *package);
const char *larcPackageOutputName(const LarcPackage *package, int32_t index);
int32_t larcPackageNumKernels(const LarcPackage *package);
const char *larcPackageKernelName(const LarcPackage *package, int32_t index);
/* "K=128 V=128 bf16". */
const char *larcPackageKernelDescription(const LarcPackage *package,
                                         int32_t index);

/* Checks the call (outputs and final states only if given) and fills
 * `plan`. Needs no GPU. */
int32_t larcPlan(const LarcPackage *package, const LarcCall *call,
                 LarcPlanInfo *plan);
/* Checks every argument and launches asynchronously on `stream` (a CUstream;
 * NULL: the legacy default stream). `plan` may be NULL. */
int32_t larcLaunch(LarcPackage *package, const LarcCall *call, void *stream,
                   LarcPlanInfo *plan);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LARC_RUNTIME_CAPI_H */
