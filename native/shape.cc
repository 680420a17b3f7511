// Shape, indexing and joining ops. Each body unwraps, calls ATen, wraps.
#include <algorithm>

#include "handle.h"

namespace dime {

DIME_OP(reshape, { RET(a.tensor(0).reshape(a.ints(1))) })
DIME_OP(view, { RET(a.tensor(0).view(a.ints(1))) })
DIME_OP(permute, { RET(a.tensor(0).permute(a.ints(1))) })
DIME_OP(transpose, { RET(a.tensor(0).transpose(a.int64(1), a.int64(2))) })
DIME_OP(squeeze, { RET(a.has(1) ? a.tensor(0).squeeze(a.int64(1)) : a.tensor(0).squeeze()) })
DIME_OP(unsqueeze, { RET(a.tensor(0).unsqueeze(a.int64(1))) })
DIME_OP(flatten, { RET(a.tensor(0).flatten(a.int64(1), a.int64(2))) })
DIME_OP(expand, { RET(a.tensor(0).expand(a.ints(1))) })
DIME_OP(repeat, { RET(a.tensor(0).repeat(a.ints(1))) })
DIME_OP(flip, { RET(a.tensor(0).flip(a.ints(1))) })
DIME_OP(roll, { RET(a.tensor(0).roll(a.ints(1), a.ints(2))) })
DIME_OP(cat, { RET(at::cat(a.tensors(0), a.int64(1))) })
DIME_OP(stack, { RET(at::stack(a.tensors(0), a.int64(1))) })
// split(t, sizes, dim): sizes is one chunk size or the list of section sizes.
DIME_OP(split, {
  auto t = a.tensor(0);
  auto sizes = a.ints(1);
  int64_t dim = a.int64(2);
  bool single = info[1].IsNumber();
  RET_LIST(single ? t.split(sizes[0], dim) : t.split_with_sizes(sizes, dim))
})
DIME_OP(chunk, { RET_LIST(a.tensor(0).chunk(a.int64(1), a.int64(2))) })
DIME_OP(unbind, { RET_LIST(a.tensor(0).unbind(a.int64(1))) })
DIME_OP(narrow, { RET(a.tensor(0).narrow(a.int64(1), a.int64(2), a.int64(3))) })
// slice(t, dim, start, end, step): end may be undefined (to the end); negative indices count from the end.
DIME_OP(slice, {
  auto t = a.tensor(0);
  RET(t.slice(a.int64(1), a.optInt64(2), a.optInt64(3), a.has(4) ? a.int64(4) : 1))
})
DIME_OP(select, { RET(a.tensor(0).select(a.int64(1), a.int64(2))) })
DIME_OP(indexSelect, { RET(a.tensor(0).index_select(a.int64(1), a.tensor(2))) })
DIME_OP(gather, { RET(a.tensor(0).gather(a.int64(1), a.tensor(2))) })
DIME_OP(scatter, { RET(a.tensor(0).scatter(a.int64(1), a.tensor(2), a.tensor(3))) })
DIME_OP(scatterAdd, { RET(a.tensor(0).scatter_add(a.int64(1), a.tensor(2), a.tensor(3))) })
DIME_OP(maskedFill, { RET(a.tensor(0).masked_fill(a.tensor(1), a.scalar(2))) })
DIME_OP(maskedSelect, { RET(a.tensor(0).masked_select(a.tensor(1))) })
DIME_OP(where, { RET(at::where(a.tensor(0), a.tensor(1), a.tensor(2))) })
DIME_OP(nonzero, { RET(a.tensor(0).nonzero()) })
DIME_OP(tril, { RET(a.tensor(0).tril(a.has(1) ? a.int64(1) : 0)) })
DIME_OP(triu, { RET(a.tensor(0).triu(a.has(1) ? a.int64(1) : 0)) })
// pad(t, pads, mode, value): pads as in torch.nn.functional.pad (last dimension first);
// mode "constant" | "reflect" | "replicate" | "circular".
DIME_OP(pad, {
  auto mode = a.string(2);
  RET(at::pad(a.tensor(0), a.ints(1), mode, mode == "constant" ? a.optNumber(3) : kNone))
})
// index(t, indices, skipped): advanced indexing with one tensor per leading dimension, except at
// the positions listed in `skipped`, which take the whole dimension (':').
DIME_OP(index, {
  auto t = a.tensor(0);
  // Undefined entries (':') arrive as a separate list of positions, so that argument 1 is a plain
  // list of tensors.
  auto given = a.tensors(1);
  auto skipped = a.has(2) ? a.ints(2) : std::vector<int64_t>{};
  c10::List<Optional<at::Tensor>> indices;
  size_t next = 0;
  for (size_t k = 0; k < given.size() + skipped.size(); k++) {
    bool skip = std::find(skipped.begin(), skipped.end(), static_cast<int64_t>(k)) != skipped.end();
    if (skip) indices.push_back(kNone);
    else indices.push_back(given[next++]);
  }
  RET(at::index(t, indices))
})

}  // namespace dime
