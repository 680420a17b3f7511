// Fused optimizer steps: one call updates every parameter of a group, reading and writing each
// tensor's memory once (PyTorch's single-tensor Adam, which dime's per-parameter ops follow,
// makes about twenty passes over it and a call per op).
#include <ATen/Parallel.h>

#include <cmath>
#include <string>

#include "handle.h"

// The element loop below is vectorised: -O3 for this file's own functions (the project builds at
// -O2; -fno-math-errno, set for the whole addon in binding.gyp, lets sqrt vectorise: as a pragma
// here it did not, measured 240 against 40 ms a step), and an AVX2 clone of the loop chosen at
// load time where the CPU has it.
#pragma GCC optimize("O3")

namespace dime {

namespace {

struct AdamFactors {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, decay, eps, stepSize, correction2;
};

// Elements [begin, end) of one parameter. weightDecay is a template argument so that each loop
// is branch-free.
template <bool weightDecay>
__attribute__((target_clones("avx2", "default"))) void adamElements(
    float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t begin, int64_t end,
    const AdamFactors& f) {
  for (int64_t j = begin; j < end; j++) {
    const float grad = weightDecay ? g[j] + f.decay * p[j] : g[j];
    const float mj = m[j] * f.beta1 + f.oneMinusBeta1 * grad;
    const float vj = v[j] * f.beta2 + f.oneMinusBeta2 * grad * grad;
    m[j] = mj;
    v[j] = vj;
    p[j] += f.stepSize * mj / (std::sqrt(vj) / f.correction2 + f.eps);
  }
}

}  // namespace

// adamStep_(params, grads, expAvgs, expAvgSqs, steps, lr, beta1, beta2, eps, weightDecay):
// torch.optim.Adam's update (L2 weight decay added to the gradient, no amsgrad) of CPU float32
// contiguous tensors, in place. steps[i] is parameter i's step count including this step.
// The scalar factors are computed in double and used in float, as PyTorch's ops use them.
DIME_OP(adamStep_, {
  auto params = a.tensors(0);
  auto grads = a.tensors(1);
  auto expAvgs = a.tensors(2);
  auto expAvgSqs = a.tensors(3);
  auto steps = a.ints(4);
  const double lr = a.number(5), beta1 = a.number(6), beta2 = a.number(7), eps = a.number(8), weightDecay = a.number(9);
  const size_t n = params.size();
  if (grads.size() != n || expAvgs.size() != n || expAvgSqs.size() != n || steps.size() != n)
    a.fail("params, grads, moments and steps must be lists of the same length");
  for (size_t i = 0; i < n; i++) {
    for (const at::Tensor* t : {&params[i], &grads[i], &expAvgs[i], &expAvgSqs[i]}) {
      if (!t->device().is_cpu() || t->scalar_type() != at::kFloat || !t->is_contiguous() || t->numel() != params[i].numel())
        a.fail("parameter " + std::to_string(i) + ": the fused step takes contiguous CPU float32 tensors of the parameter's size");
    }
    if (steps[i] < 1) a.fail("parameter " + std::to_string(i) + ": step counts start at 1");
  }
  AdamFactors f{static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1 - beta1), static_cast<float>(1 - beta2),
                static_cast<float>(weightDecay), static_cast<float>(eps), 0, 0};
  for (size_t i = 0; i < n; i++) {
    const double step = static_cast<double>(steps[i]);
    f.stepSize = static_cast<float>(-lr / (1 - std::pow(beta1, step)));
    f.correction2 = static_cast<float>(std::sqrt(1 - std::pow(beta2, step)));
    float* p = params[i].data_ptr<float>();
    const float* g = grads[i].data_ptr<float>();
    float* m = expAvgs[i].data_ptr<float>();
    float* v = expAvgSqs[i].data_ptr<float>();
    at::parallel_for(0, params[i].numel(), 16384, [&](int64_t begin, int64_t end) {
      if (weightDecay != 0) adamElements<true>(p, g, m, v, begin, end, f);
      else adamElements<false>(p, g, m, v, begin, end, f);
    });
    // As an in-place op would: autograd sees that the parameter changed.
    for (at::Tensor* t : {&params[i], &expAvgs[i], &expAvgSqs[i]})
      if (!t->is_inference()) t->unsafeGetTensorImpl()->bump_version();
  }
  RET_UNDEF
})

}  // namespace dime
