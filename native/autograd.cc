// Autograd: requires_grad, backward, gradients.
#include <torch/csrc/autograd/autograd.h>

#include "handle.h"

namespace dime {

DIME_OP(requiresGrad, { return Napi::Boolean::New(a.env(), a.tensor(0).requires_grad()); })
DIME_OP(setRequiresGrad, {
  a.tensor(0).requires_grad_(a.boolean(1));
  RET_UNDEF
})
DIME_OP(isLeaf, { return Napi::Boolean::New(a.env(), a.tensor(0).is_leaf()); })
DIME_OP(retainGrad, {
  a.tensor(0).retain_grad();
  RET_UNDEF
})
// grad(t): the accumulated gradient, or undefined when none has been computed.
DIME_OP(grad, { RET(a.tensor(0).grad()) })
// setGrad(t, g?): replace the gradient (undefined clears it).
DIME_OP(setGrad, {
  auto t = a.tensor(0);
  t.mutable_grad() = a.has(1) ? a.tensor(1) : at::Tensor();
  RET_UNDEF
})
// backward(t, gradient?, retainGraph, createGraph)
DIME_OP(backward, {
  auto t = a.tensor(0);
  auto g = a.optTensor(1);
  t.backward(g ? *g : at::Tensor(), a.has(2) ? Optional<bool>(a.boolean(2)) : kNone, a.has(3) && a.boolean(3));
  RET_UNDEF
})
// gradOf(outputs, inputs, gradOutputs?, retainGraph, createGraph, allowUnused): torch.autograd.grad.
DIME_OP(gradOf, {
  auto outputs = a.tensors(0);
  auto inputs = a.tensors(1);
  std::vector<at::Tensor> gradOutputs = a.has(2) ? a.tensors(2) : std::vector<at::Tensor>{};
  RET_LIST(torch::autograd::grad(outputs, inputs, gradOutputs,
                                 a.has(3) ? Optional<bool>(a.boolean(3)) : kNone,
                                 a.has(4) && a.boolean(4), a.has(5) && a.boolean(5)))
})

}  // namespace dime
