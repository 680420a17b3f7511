// Element-wise math, comparisons, activations, in-place updates and reductions.
#include "handle.h"

namespace dime {

// Binary ops take a tensor or a number as their second argument.
#define BINARY(NAME, FN)                                                      \
  DIME_OP(NAME, {                                                             \
    auto x = a.tensor(0);                                                     \
    RET(a.isTensor(1) ? at::FN(x, a.tensor(1)) : at::FN(x, a.scalar(1)))      \
  })
BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(remainder, remainder)
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
BINARY(fmod, fmod)
#undef BINARY

// add/sub(x, y, alpha): x + alpha * y.
DIME_OP(add, {
  auto x = a.tensor(0);
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  RET(a.isTensor(1) ? at::add(x, a.tensor(1), alpha) : at::add(x, a.scalar(1), alpha))
})
DIME_OP(sub, {
  auto x = a.tensor(0);
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  RET(a.isTensor(1) ? at::sub(x, a.tensor(1), alpha) : at::sub(x, a.scalar(1), alpha))
})
DIME_OP(rsub, { RET(at::rsub(a.tensor(0), a.scalar(1))) })  // number - x
DIME_OP(rdiv, { RET(at::reciprocal(a.tensor(0)).mul(a.scalar(1))) })  // number / x
DIME_OP(maximum, { RET(at::maximum(a.tensor(0), a.tensor(1))) })
DIME_OP(minimum, { RET(at::minimum(a.tensor(0), a.tensor(1))) })
DIME_OP(atan2, { RET(at::atan2(a.tensor(0), a.tensor(1))) })
DIME_OP(logicalAnd, { RET(at::logical_and(a.tensor(0), a.tensor(1))) })
DIME_OP(logicalOr, { RET(at::logical_or(a.tensor(0), a.tensor(1))) })
DIME_OP(logicalXor, { RET(at::logical_xor(a.tensor(0), a.tensor(1))) })
DIME_OP(lerp, { RET(a.isTensor(2) ? at::lerp(a.tensor(0), a.tensor(1), a.tensor(2)) : at::lerp(a.tensor(0), a.tensor(1), a.scalar(2))) })

#define UNARY(NAME, FN) DIME_OP(NAME, { RET(at::FN(a.tensor(0))) })
UNARY(neg, neg)
UNARY(abs, abs)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(expm1, expm1)
UNARY(log2, log2)
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(sin, sin)
UNARY(cos, cos)
UNARY(tan, tan)
UNARY(asin, asin)
UNARY(acos, acos)
UNARY(atan, atan)
UNARY(tanh, tanh)
UNARY(sigmoid, sigmoid)
UNARY(relu, relu)
UNARY(gelu, gelu)
UNARY(selu, selu)
UNARY(silu, silu)
UNARY(erf, erf)
UNARY(sign, sign)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(trunc, trunc)
UNARY(frac, frac)
UNARY(reciprocal, reciprocal)
UNARY(square, square)
UNARY(logicalNot, logical_not)
UNARY(isnan, isnan)
UNARY(isinf, isinf)
UNARY(isfinite, isfinite)
UNARY(logSigmoid, log_sigmoid)
#undef UNARY

DIME_OP(leakyRelu, { RET(at::leaky_relu(a.tensor(0), a.scalar(1))) })
DIME_OP(elu, { RET(at::elu(a.tensor(0), a.scalar(1))) })
DIME_OP(softplus, { RET(at::softplus(a.tensor(0), a.scalar(1), a.scalar(2))) })
DIME_OP(hardtanh, { RET(at::hardtanh(a.tensor(0), a.scalar(1), a.scalar(2))) })
// clamp(x, min?, max?): either bound may be undefined.
DIME_OP(clamp, {
  Optional<at::Scalar> lo, hi;
  if (a.has(1)) lo = a.scalar(1);
  if (a.has(2)) hi = a.scalar(2);
  RET(at::clamp(a.tensor(0), lo, hi))
})
DIME_OP(nanToNum, { RET(at::nan_to_num(a.tensor(0), a.optNumber(1), a.optNumber(2), a.optNumber(3))) })
DIME_OP(softmax, { RET(at::softmax(a.tensor(0), a.int64(1))) })
DIME_OP(logSoftmax, { RET(at::log_softmax(a.tensor(0), a.int64(1))) })
// dropout(x, p, train): draws from the default generator (manualSeed makes it reproducible).
DIME_OP(dropout, { RET(at::dropout(a.tensor(0), a.number(1), a.boolean(2))) })

// --- in-place updates (optimizers, initialisation); they return nothing.
DIME_OP(add_, {
  auto x = a.tensor(0);
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  if (a.isTensor(1)) x.add_(a.tensor(1), alpha); else x.add_(a.scalar(1), alpha);
  RET_UNDEF
})
DIME_OP(mul_, {
  auto x = a.tensor(0);
  if (a.isTensor(1)) x.mul_(a.tensor(1)); else x.mul_(a.scalar(1));
  RET_UNDEF
})
DIME_OP(div_, {
  auto x = a.tensor(0);
  if (a.isTensor(1)) x.div_(a.tensor(1)); else x.div_(a.scalar(1));
  RET_UNDEF
})
DIME_OP(addcmul_, { a.tensor(0).addcmul_(a.tensor(1), a.tensor(2), a.scalar(3)); RET_UNDEF })
DIME_OP(addcdiv_, { a.tensor(0).addcdiv_(a.tensor(1), a.tensor(2), a.scalar(3)); RET_UNDEF })
DIME_OP(lerp_, { a.tensor(0).lerp_(a.tensor(1), a.scalar(2)); RET_UNDEF })
DIME_OP(copy_, { a.tensor(0).copy_(a.tensor(1)); RET_UNDEF })
DIME_OP(zero_, { a.tensor(0).zero_(); RET_UNDEF })
DIME_OP(fill_, { a.tensor(0).fill_(a.scalar(1)); RET_UNDEF })
DIME_OP(clamp_, {
  Optional<at::Scalar> lo, hi;
  if (a.has(1)) lo = a.scalar(1);
  if (a.has(2)) hi = a.scalar(2);
  a.tensor(0).clamp_(lo, hi);
  RET_UNDEF
})

// --- reductions. dims undefined means all dimensions.
DIME_OP(sum, {
  auto x = a.tensor(0);
  auto dims = a.optInts(1);
  RET(dims ? x.sum(*dims, a.boolean(2)) : x.sum())
})
DIME_OP(mean, {
  auto x = a.tensor(0);
  auto dims = a.optInts(1);
  RET(dims ? x.mean(*dims, a.boolean(2)) : x.mean())
})
DIME_OP(prod, {
  auto x = a.tensor(0);
  RET(a.has(1) ? x.prod(a.int64(1), a.boolean(2)) : x.prod())
})
DIME_OP(amax, { RET(a.tensor(0).amax(a.has(1) ? a.ints(1) : std::vector<int64_t>{}, a.boolean(2))) })
DIME_OP(amin, { RET(a.tensor(0).amin(a.has(1) ? a.ints(1) : std::vector<int64_t>{}, a.boolean(2))) })
DIME_OP(maxDim, {
  auto r = a.tensor(0).max(a.int64(1), a.boolean(2));
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)}))
})
DIME_OP(minDim, {
  auto r = a.tensor(0).min(a.int64(1), a.boolean(2));
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)}))
})
DIME_OP(argmax, { RET(a.tensor(0).argmax(a.optInt64(1), a.has(2) && a.boolean(2))) })
DIME_OP(argmin, { RET(a.tensor(0).argmin(a.optInt64(1), a.has(2) && a.boolean(2))) })
// var/std(x, dims?, correction, keepdim): correction 1 is the unbiased estimate.
DIME_OP(var, {
  auto dims = a.optInts(1);
  at::OptionalIntArrayRef d = dims ? at::OptionalIntArrayRef(*dims) : kNone;
  RET(at::var(a.tensor(0), d, Optional<int64_t>(a.int64(2)), a.boolean(3)))
})
DIME_OP(std, {
  auto dims = a.optInts(1);
  at::OptionalIntArrayRef d = dims ? at::OptionalIntArrayRef(*dims) : kNone;
  RET(at::std(a.tensor(0), d, Optional<int64_t>(a.int64(2)), a.boolean(3)))
})
DIME_OP(norm, {
  auto x = a.tensor(0);
  auto dims = a.optInts(2);
  RET(dims ? at::norm(x, a.scalar(1), *dims, a.boolean(3)) : at::norm(x, a.scalar(1)))
})
DIME_OP(logsumexp, { RET(at::logsumexp(a.tensor(0), a.ints(1), a.boolean(2))) })
DIME_OP(cumsum, { RET(at::cumsum(a.tensor(0), a.int64(1))) })
DIME_OP(cumprod, { RET(at::cumprod(a.tensor(0), a.int64(1))) })
DIME_OP(all, { RET(a.has(1) ? a.tensor(0).all(a.int64(1), a.boolean(2)) : a.tensor(0).all()) })
DIME_OP(any, { RET(a.has(1) ? a.tensor(0).any(a.int64(1), a.boolean(2)) : a.tensor(0).any()) })
DIME_OP(sort, {
  auto r = a.tensor(0).sort(a.int64(1), a.boolean(2));
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)}))
})
DIME_OP(topk, {
  auto r = a.tensor(0).topk(a.int64(1), a.int64(2), a.boolean(3));
  RET_LIST((std::vector<at::Tensor>{std::get<0>(r), std::get<1>(r)}))
})
DIME_OP(allclose, { return Napi::Boolean::New(a.env(), at::allclose(a.tensor(0), a.tensor(1), a.number(2), a.number(3))); })
DIME_OP(equal, { return Napi::Boolean::New(a.env(), at::equal(a.tensor(0), a.tensor(1))); })

}  // namespace dime
