// Distributed data-parallel training on libtorch's c10d: one process group per process (as
// torch.distributed's default group), rendezvous on a TCPStore, ProcessGroupGloo on the CPU
// (ProcessGroupNCCL where libtorch has it), gradients bucketed and all-reduced from autograd hooks
// while backward runs (as DDP's Reducer does; its header, c10d/reducer.hpp, includes
// distributed/autograd headers that Debian's libtorch-dev does not ship, so it cannot be compiled
// against here), a differentiable all-reduce for
// synchronised batch norm, and a heartbeat in the store so that a rank that dies or hangs can be
// named by the others.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // ProcessGroupGloo.hpp declares nothing without it; every libtorch build has Gloo
#endif
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(USE_C10D_NCCL) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define DIME_HAS_NCCL 1
#endif

#include <torch/version.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "handle.h"

namespace dime {

namespace {

// The class the process groups derive from: ProcessGroup in libtorch 1.x, Backend from 2.0 on
// (the collectives have the same signatures in both). A candidate for native/compat.h.
#if TORCH_VERSION_MAJOR >= 2
using ProcessGroupBase = c10d::Backend;
#else
using ProcessGroupBase = c10d::ProcessGroup;
#endif

// Gradients of a set of parameters, in buckets of about `bucketBytes` (in reverse parameter
// order, since backward produces the last layers' gradients first). A bucket's all-reduce starts
// as soon as its last gradient arrives and every earlier bucket has started, so that every rank
// issues the same collectives in the same order.
struct Buckets {
  struct Bucket {
    std::vector<size_t> params;    // indices into `params`
    std::vector<int64_t> offsets;  // where each one's gradient lies in `flat`
    at::Tensor flat;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<at::Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<std::pair<size_t, size_t>> where;  // param -> (bucket, slot)
  std::vector<bool> ready;
  size_t next = 0;  // the first bucket not yet launched
  bool armed = false;
};

struct Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<ProcessGroupBase> pg;
  std::shared_ptr<Buckets> buckets;
  int rank = 0;
  int worldSize = 1;
  std::chrono::milliseconds timeout{60000};
  // The heartbeat: a thread with its own store client bumps "heartbeat/<rank>" every second.
  c10::intrusive_ptr<c10d::TCPStore> beatStore;
  std::thread beat;
  std::atomic<bool> stop{false};
};

// Never destroyed at exit: a process leaving after a failed collective must not wait in the
// group's destructor for worker threads; distShutdown frees it on the orderly path.
Group*& group() {
  static Group* g = nullptr;
  return g;
}

Group& need(const Args& a) {
  if (!group()) a.fail("no process group: call distInit first");
  return *group();
}

void stopHeartbeat(Group& g) {
  g.stop = true;
  if (g.beat.joinable()) g.beat.join();
}

c10::intrusive_ptr<c10d::TCPStore> connectStore(const std::string& host, int port, int worldSize, bool server,
                                               std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = server;
  opts.numWorkers = static_cast<std::size_t>(worldSize);
  opts.waitWorkers = false;
  opts.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(host, opts);
}

void allreduce(std::vector<at::Tensor>& tensors) {
  auto work = group()->pg->allreduce(tensors);
  work->wait();
}

// all_reduce(SUM) that autograd sees through: the gradient of each rank's input is the sum over
// ranks of the gradients of the output, as SyncBatchNorm's backward all-reduces sum_dy.
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext*, at::Tensor x) {
    std::vector<at::Tensor> out{x.clone(at::MemoryFormat::Contiguous)};
    allreduce(out);
    return out[0];
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext*, torch::autograd::tensor_list grads) {
    std::vector<at::Tensor> out{grads[0].contiguous().clone()};
    allreduce(out);
    return {out[0]};
  }
};

}  // namespace

// distInit(host, port, rank, worldSize, timeoutMs, backend, localHost) -> the store's port.
// Rank 0 hosts the TCPStore on `port` (0: a free one, returned); every rank connects to it,
// then the process group rendezvouses through it. `localHost` is the address this rank's Gloo
// connections bind to ("": the address of this machine's host name, Gloo's default).
DIME_OP(distInit, {
  if (group()) a.fail("a process group already exists in this process");
  std::string host = a.string(0);
  int port = static_cast<int>(a.int64(1));
  int rank = static_cast<int>(a.int64(2));
  int worldSize = static_cast<int>(a.int64(3));
  auto timeout = std::chrono::milliseconds(a.int64(4));
  std::string backend = a.string(5);
  std::string localHost = a.string(6);
  if (worldSize < 1 || rank < 0 || rank >= worldSize) a.fail("rank must be in 0..world size - 1");
  auto g = std::make_unique<Group>();
  g->rank = rank;
  g->worldSize = worldSize;
  g->timeout = timeout;
  g->store = connectStore(host, port, worldSize, rank == 0, timeout);
  if (backend == "gloo") {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(localHost.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                                  : c10d::ProcessGroupGloo::createDeviceForHostname(localHost));
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank, worldSize, options);
  } else if (backend == "nccl") {
#ifdef DIME_HAS_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, rank, worldSize, options);
#else
    a.fail("this libtorch has no NCCL process group (a CUDA build of libtorch 2.x has one): use --dist-backend gloo");
#endif
  } else {
    a.fail("backend must be gloo or nccl, got " + backend);
  }
  int bound = g->store->getPort();
  g->beatStore = connectStore(host, bound, worldSize, false, timeout);
  Group* raw = g.get();
  g->beat = std::thread([raw]() {
    std::string key = "heartbeat/" + std::to_string(raw->rank);
    while (!raw->stop) {
      try {
        raw->beatStore->add(key, 1);
      } catch (...) {
        return;  // the store is gone: its host died; the collectives will say so
      }
      for (int i = 0; i < 10 && !raw->stop; i++) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  group() = g.release();
  return Napi::Number::New(a.env(), bound);
})

DIME_OP(distIsInitialized, { return Napi::Boolean::New(a.env(), group() != nullptr); })
DIME_OP(distRank, { return Napi::Number::New(a.env(), need(a).rank); })
DIME_OP(distWorldSize, { return Napi::Number::New(a.env(), need(a).worldSize); })
DIME_OP(distHasNccl, {
#ifdef DIME_HAS_NCCL
  return Napi::Boolean::New(a.env(), true);
#else
  return Napi::Boolean::New(a.env(), false);
#endif
})

namespace {

// Runs `collective` on one flat message holding every tensor (one round trip per call), then
// copies the result back into each tensor in place. Callers pass tensors of one dtype.
template <typename Collective>
void inPlaceFlat(std::vector<at::Tensor>& tensors, Collective collective) {
  if (tensors.empty()) return;
  auto flat = at::cat(c10::fmap(tensors, [](const at::Tensor& t) { return t.detach().reshape(-1); }));
  std::vector<at::Tensor> list{flat};
  collective(list);
  int64_t offset = 0;
  for (auto& t : tensors) {
    int64_t n = t.numel();
    t.detach().copy_(flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

}  // namespace

// distAllReduce(tensors): in-place SUM over ranks, flattened into one message.
DIME_OP(distAllReduce, {
  need(a);
  auto tensors = a.tensors(0);
  inPlaceFlat(tensors, [](std::vector<at::Tensor>& list) { allreduce(list); });
  RET_UNDEF
})

// distBroadcast(tensors, root): in place, from `root` to every rank (flattened per call).
DIME_OP(distBroadcast, {
  need(a);
  auto tensors = a.tensors(0);
  c10d::BroadcastOptions opts;
  opts.rootRank = a.int64(1);
  inPlaceFlat(tensors, [&opts](std::vector<at::Tensor>& list) { group()->pg->broadcast(list, opts)->wait(); });
  RET_UNDEF
})

// distAllReduceSum(t): a new tensor, the SUM over ranks of t, differentiable (see AllReduceSum).
DIME_OP(distAllReduceSum, {
  need(a);
  RET(AllReduceSum::apply(a.tensor(0)))
})

DIME_OP(distBarrier, {
  need(a).pg->barrier()->wait();
  RET_UNDEF
})

void launchReady(Buckets& b) {
  while (b.next < b.buckets.size() && b.buckets[b.next].pending == 0) {
    std::vector<at::Tensor> list{b.buckets[b.next].flat};
    b.buckets[b.next].work = group()->pg->allreduce(list);
    b.next++;
  }
}

// distBuckets(params, bucketBytes, firstBucketBytes) -> the number of buckets. Hooks on each
// parameter copy its gradient into its bucket while backward runs (when armed).
DIME_OP(distBuckets, {
  auto& g = need(a);
  auto params = a.tensors(0);
  int64_t bucketBytes = a.int64(1);
  int64_t firstBucketBytes = a.int64(2);
  if (g.buckets) g.buckets->armed = false;
  auto b = std::make_shared<Buckets>();
  b->params = params;
  b->where.resize(params.size());
  int64_t bytes = 0, elements = 0;
  for (int64_t i = static_cast<int64_t>(params.size()) - 1; i >= 0; i--) {
    const auto& p = params[i];
    if (!p.requires_grad()) a.fail("parameter " + std::to_string(i) + " does not require grad");
    if (p.scalar_type() != params.back().scalar_type() || p.device() != params.back().device())
      a.fail("every parameter must have the same dtype and device");
    int64_t limit = b->buckets.size() == 1 ? firstBucketBytes : bucketBytes;
    if (b->buckets.empty() || bytes >= limit) {
      b->buckets.emplace_back();
      bytes = elements = 0;
    }
    auto& bucket = b->buckets.back();
    b->where[i] = {b->buckets.size() - 1, bucket.params.size()};
    bucket.offsets.push_back(elements);
    bucket.params.push_back(static_cast<size_t>(i));
    elements += p.numel();
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  for (auto& bucket : b->buckets) {
    int64_t numel = 0;
    for (size_t i : bucket.params) numel += params[i].numel();
    bucket.flat = at::zeros({numel}, params[bucket.params[0]].options().requires_grad(false));
  }
  std::weak_ptr<Buckets> weak = b;
  for (size_t i = 0; i < params.size(); i++) {
    params[i].register_hook([weak, i](const at::Tensor& grad) {
      auto b = weak.lock();
      if (!b || !b->armed || b->ready[i]) return;
      auto [k, slot] = b->where[i];
      auto& bucket = b->buckets[k];
      bucket.flat.narrow(0, bucket.offsets[slot], grad.numel()).copy_(grad.reshape(-1));
      b->ready[i] = true;
      bucket.pending--;
      launchReady(*b);
    });
  }
  g.buckets = b;
  return Napi::Number::New(a.env(), static_cast<double>(b->buckets.size()));
})

// distPrepareBackward(): arms the hooks for the next backward.
DIME_OP(distPrepareBackward, {
  auto& g = need(a);
  if (!g.buckets) a.fail("no gradient buckets: call distBuckets first");
  auto& b = *g.buckets;
  for (auto& bucket : b.buckets) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
  }
  b.ready.assign(b.params.size(), false);
  b.next = 0;
  b.armed = true;
  RET_UNDEF
})

// distFinishGradients(): after backward: the buckets that backward did not complete (parameters
// it did not reach count as zero gradients, as DDP's find_unused_parameters) are launched in
// order, every all-reduce is waited for, and each parameter's grad becomes the mean over ranks.
DIME_OP(distFinishGradients, {
  auto& g = need(a);
  if (!g.buckets || !g.buckets->armed) a.fail("distPrepareBackward was not called before backward");
  auto& b = *g.buckets;
  b.armed = false;
  for (size_t i = 0; i < b.params.size(); i++) {
    if (b.ready[i]) continue;
    auto [k, slot] = b.where[i];
    auto& bucket = b.buckets[k];
    bucket.flat.narrow(0, bucket.offsets[slot], b.params[i].numel()).zero_();
    bucket.pending--;
  }
  launchReady(b);
  for (auto& bucket : b.buckets) {
    bucket.work->wait();
    bucket.work.reset();
    bucket.flat.div_(g.worldSize);
    for (size_t slot = 0; slot < bucket.params.size(); slot++) {
      auto& p = b.params[bucket.params[slot]];
      auto mean = bucket.flat.narrow(0, bucket.offsets[slot], p.numel()).view(p.sizes());
      auto& grad = p.mutable_grad();
      if (grad.defined()) grad.copy_(mean);
      else grad = mean.clone();
    }
  }
  RET_UNDEF
})

// distStoreGet(key) -> the value as a string, waiting up to `timeoutMs` (undefined when absent then).
DIME_OP(distStoreGet, {
  auto& g = need(a);
  std::string key = a.string(0);
  auto ms = std::chrono::milliseconds(a.int64(1));
  g.store->wait({key}, ms);
  auto bytes = g.store->get(key);
  return Napi::String::New(a.env(), std::string(bytes.begin(), bytes.end()));
})
DIME_OP(distStoreSet, {
  auto& g = need(a);
  std::string value = a.string(1);
  g.store->set(a.string(0), std::vector<uint8_t>(value.begin(), value.end()));
  RET_UNDEF
})
// distStoreCheck(keys) -> whether every key is set (does not wait).
DIME_OP(distStoreCheck, { return Napi::Boolean::New(a.env(), need(a).store->check({a.string(0)})); })

// distSilentRanks(waitMs) -> the ranks whose heartbeat did not move in `waitMs`; [-1] when the
// store itself cannot be reached (its host, rank 0, is gone).
DIME_OP(distSilentRanks, {
  auto& g = need(a);
  auto waitMs = std::chrono::milliseconds(a.int64(0));
  auto read = [&g]() {
    std::vector<int64_t> beats;
    for (int r = 0; r < g.worldSize; r++) beats.push_back(g.store->add("heartbeat/" + std::to_string(r), 0));
    return beats;
  };
  std::vector<int64_t> before, after;
  auto list = Napi::Array::New(a.env());
  try {
    before = read();
    std::this_thread::sleep_for(waitMs);
    after = read();
  } catch (const std::exception&) {
    list.Set(0u, Napi::Number::New(a.env(), -1));
    return list;
  }
  uint32_t n = 0;
  for (int r = 0; r < g.worldSize; r++)
    if (r != g.rank && after[r] == before[r]) list.Set(n++, Napi::Number::New(a.env(), r));
  return list;
})

// distShutdown(): drops the reducer, the group and the store (rank 0's store server with it).
DIME_OP(distShutdown, {
  if (!group()) RET_UNDEF
  auto& g = *group();
  stopHeartbeat(g);
  if (g.buckets) g.buckets->armed = false;
  g.buckets.reset();
  g.pg.reset();
  g.beatStore.reset();
  g.store.reset();
  delete group();
  group() = nullptr;
  RET_UNDEF
})

}  // namespace dime
