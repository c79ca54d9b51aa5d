//===- CApiTest.cpp - The C ABI -------------------------------------------===//

#include "TestPackages.h"

#include "larc/runtime/CApi.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>

using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {
LarcTensor tensor(int32_t dtype, std::initializer_list<int64_t> shape,
                  uintptr_t slot) {
  LarcTensor t;
  std::memset(&t, 0, sizeof(t));
  t.data = fakePointer(slot);
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  int d = 0;
  for (int64_t extent : shape)
    t.shape[d++] = extent;
  int64_t stride = 1;
  for (d = t.rank - 1; d >= 0; --d) {
    t.strides[d] = stride;
    stride *= t.shape[d];
  }
  t.deviceType = LARC_DEVICE_CUDA;
  t.deviceIndex = 0;
  return t;
}

// A loaded gated-delta package and a valid call for B = 2, T = 33, H = 3,
// K = V = 128.
struct Fixture {
  TempPackage dir{gatedDeltaManifest(), "gated_delta_rule.cubin", fakeCubin()};
  LarcPackage *package = nullptr;
  LarcTensor q = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3, 128}, 1);
  LarcTensor k = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3, 128}, 2);
  LarcTensor v = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3, 128}, 3);
  LarcTensor g = tensor(LARC_DTYPE_FLOAT32, {2, 33, 3}, 4);
  LarcTensor beta = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3}, 5);
  LarcTensor o = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3, 128}, 6);
  const LarcTensor *inputs[5] = {&q, &k, &v, &g, &beta};
  const LarcTensor *outputs[1] = {&o};
  LarcCall call{};

  Fixture() {
    REQUIRE(larcPackageLoad(dir.path().c_str(), &package) == LARC_OK);
    call.numInputs = 5;
    call.numOutputs = 1;
    call.numStates = 1;
    call.inputs = inputs;
  }
  ~Fixture() { larcPackageFree(package); }
};
} // namespace

TEST_CASE("c api: versions and struct sizes", "[capi]") {
  CHECK(larcAbiVersion() == LARC_ABI_VERSION);
  CHECK(larcStructSize("LarcTensor") == sizeof(LarcTensor));
  CHECK(larcStructSize("LarcCall") == sizeof(LarcCall));
  CHECK(larcStructSize("LarcPlanInfo") == sizeof(LarcPlanInfo));
  CHECK(larcStructSize("LarcLaunchParams") == 1920);
  CHECK(larcStructSize("Nope") == 0);
  CHECK(larcStructSize(nullptr) == 0);
}

TEST_CASE("c api: describing a package", "[capi]") {
  Fixture f;
  CHECK(std::string(larcPackageRule(f.package)) == "gated_delta_rule");
  CHECK(std::string(larcPackageDirectory(f.package)) == f.dir.path());
  CHECK(larcPackageUsesScale(f.package) == 1);
  REQUIRE(larcPackageNumInputs(f.package) == 5);
  CHECK(std::string(larcPackageInputName(f.package, 3)) == "g");
  CHECK(std::string(larcPackageInputRole(f.package, 3)) == "log_gate");
  CHECK(std::string(larcPackageInputRole(f.package, 4)) == "coefficient");
  CHECK(larcPackageInputDType(f.package, 0) == LARC_DTYPE_UNKNOWN);
  CHECK(larcPackageInputDType(f.package, 3) == LARC_DTYPE_FLOAT32);
  CHECK(larcPackageInputDType(f.package, 4) == LARC_DTYPE_UNKNOWN);
  CHECK(larcPackageInputName(f.package, 5) == nullptr);
  CHECK(larcPackageInputRole(f.package, -1) == nullptr);
  CHECK(larcPackageNumStates(f.package) == 1);
  CHECK(std::string(larcPackageStateName(f.package, 0)) == "S");
  CHECK(larcPackageNumOutputs(f.package) == 1);
  CHECK(std::string(larcPackageOutputName(f.package, 0)) == "o");
  REQUIRE(larcPackageNumKernels(f.package) == 3);
  CHECK(std::string(larcPackageKernelName(f.package, 2)) ==
        "larc_gated_delta_rule_fwd_k128_v128_fp16");
  CHECK(std::string(larcPackageKernelDescription(f.package, 1)) ==
        "K=64 V=64 bf16");
  CHECK(larcPackageKernelDescription(f.package, 3) == nullptr);
  CHECK(larcPackageRule(nullptr) == nullptr);
  CHECK(larcPackageNumInputs(nullptr) == 0);
}

TEST_CASE("c api: plan", "[capi]") {
  Fixture f;
  LarcPlanInfo plan;
  REQUIRE(larcPlan(f.package, &f.call, &plan) == LARC_OK);
  CHECK(plan.kernelIndex == 0);
  CHECK(plan.dtype == LARC_DTYPE_BFLOAT16);
  CHECK(plan.deviceType == LARC_DEVICE_CUDA);
  CHECK(plan.batch == 2);
  CHECK(plan.seqLen == 33);
  CHECK(plan.heads == 3);
  CHECK(plan.valueHeads == 3);
  CHECK(plan.sequences == 2);
  CHECK(plan.grid[0] == 2);
  CHECK(plan.grid[1] == 3);
  CHECK(plan.grid[2] == 2);
  CHECK(plan.scale == Approx(1 / std::sqrt(128.0)));
  REQUIRE(plan.numOutputs == 1);
  CHECK(plan.outputRanks[0] == 4);
  CHECK(plan.outputShapes[0][3] == 128);
  CHECK(plan.outputDTypes[0] == LARC_DTYPE_BFLOAT16);
  REQUIRE(plan.numStates == 1);
  CHECK(plan.stateRanks[0] == 4);
  CHECK(plan.stateShapes[0][0] == 2);
  CHECK(plan.stateShapes[0][2] == 128);
  // A NULL plan is allowed.
  CHECK(larcPlan(f.package, &f.call, nullptr) == LARC_OK);
}

TEST_CASE("c api: scale, states and cu_seqlens pass through", "[capi]") {
  Fixture f;
  f.call.hasScale = 1;
  f.call.scale = 0.5;
  LarcTensor s0 = tensor(LARC_DTYPE_FLOAT32, {2, 3, 128, 128}, 7);
  const LarcTensor *initial[1] = {&s0};
  f.call.initialStates = initial;
  LarcPlanInfo plan;
  REQUIRE(larcPlan(f.package, &f.call, &plan) == LARC_OK);
  CHECK(plan.scale == 0.5f);
  f.call.scale = -1;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             StartsWith("larc: argument 'scale': expected a finite number"));
  f.call.hasScale = 0;
  // Packed sequences: B = 1, T = 66, two sequences.
  f.q = tensor(LARC_DTYPE_BFLOAT16, {1, 66, 3, 128}, 1);
  f.k = tensor(LARC_DTYPE_BFLOAT16, {1, 66, 3, 128}, 2);
  f.v = tensor(LARC_DTYPE_BFLOAT16, {1, 66, 3, 128}, 3);
  f.g = tensor(LARC_DTYPE_FLOAT32, {1, 66, 3}, 4);
  f.beta = tensor(LARC_DTYPE_BFLOAT16, {1, 66, 3}, 5);
  LarcTensor offsets = tensor(LARC_DTYPE_INT32, {3}, 10);
  int64_t hostValues[3] = {0, 40, 66};
  LarcTensor host = tensor(LARC_DTYPE_INT64, {3}, 0);
  host.data = hostValues;
  host.deviceType = LARC_DEVICE_CPU;
  f.call.cuSeqlens = &offsets;
  f.call.cuSeqlensHost = &host;
  REQUIRE(larcPlan(f.package, &f.call, &plan) == LARC_OK);
  CHECK(plan.sequences == 2);
  hostValues[2] = 65;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: argument 'cu_seqlens_host': the last offset must "
                    "be T = 66 (the tokens of 'q'), got cu_seqlens_host[2] = "
                    "65"));
}

TEST_CASE("c api: refusals set a code and a message", "[capi]") {
  Fixture f;
  LarcPlanInfo plan;
  f.inputs[3] = nullptr;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: argument 'g' (log_gate) is required by rule "
                    "'gated_delta_rule' but was not given"));
  f.inputs[3] = &f.g;
  f.k.shape[3] = 64;
  f.k.strides[2] = 64;
  f.k.strides[1] = 192;
  f.k.strides[0] = 33 * 192;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: argument 'k': expected shape [B, T, H, K] = [2, "
                    "33, 3, 128], got [2, 33, 3, 64]"));
  f.k = tensor(LARC_DTYPE_BFLOAT16, {2, 33, 3, 128}, 2);
  f.k.rank = 9;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: argument 'k': rank 9 is outside [0, 8]"));
  f.k.rank = 4;
  f.k.deviceType = 7;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: argument 'k': unknown device type 7"));
  f.k.deviceType = LARC_DEVICE_CUDA;
  f.k.dtype = 99;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(), Equals("larc: argument 'k': expected dtype bf16 "
                                     "(as 'q'), got unknown"));
  f.k.dtype = LARC_DTYPE_BFLOAT16;
  f.call.numInputs = 4;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(),
             Equals("larc: the call has 4 inputs, 1 outputs and 1 states, but "
                    "rule 'gated_delta_rule' has 5, 1 and 1"));
  f.call.numInputs = 5;
  f.call.flags = 8;
  CHECK(larcPlan(f.package, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(), Equals("larc: unknown flags 0x8 in the call"));
  CHECK(larcPlan(f.package, nullptr, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(), Equals("larc: the call is NULL"));
  CHECK(larcPlan(nullptr, &f.call, &plan) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(), Equals("larc: larcPlan: the package is NULL"));
}

TEST_CASE("c api: load failures", "[capi]") {
  LarcPackage *package = reinterpret_cast<LarcPackage *>(1);
  CHECK(larcPackageLoad("/nonexistent", &package) == LARC_ERROR_INVALID);
  CHECK(package == nullptr);
  CHECK_THAT(larcLastError(),
             StartsWith("larc: /nonexistent/manifest.json: cannot open"));
  CHECK(larcPackageLoad(nullptr, &package) == LARC_ERROR_INVALID);
  larcPackageFree(nullptr); // allowed
}

TEST_CASE("c api: launch refuses before and without a driver", "[capi]") {
  Fixture f;
  CHECK(larcLaunch(f.package, &f.call, nullptr, nullptr) == LARC_ERROR_INVALID);
  CHECK_THAT(larcLastError(), Contains("output 'o' was not given"));
  f.call.outputs = f.outputs;
  int32_t status = larcLaunch(f.package, &f.call, nullptr, nullptr);
  CHECK(status != LARC_OK); // a fake cubin never launches
  CHECK_THAT(larcLastError(), StartsWith("larc: "));
  if (larcDriverAvailable() != LARC_OK) {
    CHECK(status == LARC_ERROR_CUDA);
    CHECK_THAT(larcLastError(), StartsWith("larc: no CUDA driver: "));
  }
}
