// Matrix products and small linear algebra (thin-plate splines, metrics).
#include "handle.h"

namespace dime {

DIME_OP(matmul, { RET(at::matmul(a.tensor(0), a.tensor(1))) })
DIME_OP(mm, { RET(at::mm(a.tensor(0), a.tensor(1))) })
DIME_OP(bmm, { RET(at::bmm(a.tensor(0), a.tensor(1))) })
DIME_OP(linear, { RET(at::linear(a.tensor(0), a.tensor(1), a.optTensor(2))) })
DIME_OP(outer, { RET(at::outer(a.tensor(0), a.tensor(1))) })
DIME_OP(einsum, { RET(at::einsum(a.string(0), a.tensors(1))) })
DIME_OP(cdist, { RET(at::cdist(a.tensor(0), a.tensor(1), a.number(2))) })
DIME_OP(solve, { RET(at::linalg_solve(a.tensor(0), a.tensor(1))) })
DIME_OP(inverse, { RET(at::linalg_inv(a.tensor(0))) })
DIME_OP(det, { RET(at::linalg_det(a.tensor(0))) })
DIME_OP(cholesky, { RET(at::linalg_cholesky(a.tensor(0))) })
DIME_OP(eigh, {
  auto r = at::linalg_eigh(a.tensor(0), a.has(1) ? a.string(1) : "L");
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)}))
})
DIME_OP(svd, {
  auto r = at::linalg_svd(a.tensor(0), a.boolean(1));
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r), std::get<2>(r)}))
})
DIME_OP(sqrtmPsd, {
  // Square root of a symmetric positive semi-definite matrix through its eigendecomposition
  // (negative eigenvalues from round-off are clamped to zero).
  auto r = at::linalg_eigh(a.tensor(0), "L");
  auto values = std::get<0>(r).clamp_min(0).sqrt();
  auto vectors = std::get<1>(r);
  RET(at::matmul(vectors * values.unsqueeze(-2), vectors.transpose(-2, -1)))
})

}  // namespace dime
