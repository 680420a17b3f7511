// oneDNN 2.6's Winograd convolution against its direct one for the 3x3 convolutions of dime's
// 256 px frame, fp32, on the libdnnl libtorch 1.13 links (issue 22, "beyond eager PyTorch": libtorch
// only asks oneDNN for the direct algorithm). Needs Debian's libdnnl-dev (headers only):
//   g++ -O2 -std=c++17 experiments/speed/winograd_probe.cc -ldnnl -o /tmp/winograd_probe
//   OMP_NUM_THREADS=1 /tmp/winograd_probe [rounds]
// Prints per shape and algorithm the median and min wall ms and the kernel oneDNN chose, and
// Winograd's largest absolute and relative difference from direct. docs/speed.md has the results
// (libtorch's own direct convolution, not the one here, is the one to beat).
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Shape {
  const char* name;
  int cin, cout, hw;
};

static double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.f, 1.f);
  const Shape shapes[] = {
      {"256->256 3x3 at 64x64 (bottleneck)", 256, 256, 64},
      {"256->128 3x3 at 128x128 (up 0)", 256, 128, 128},
      {"128->64 3x3 at 256x256 (up 1)", 128, 64, 256},
      {"44->128 3x3 at 64x64 (dense hourglass in)", 44, 128, 64},
  };
  for (const auto& sh : shapes) {
    memory::dims src_d = {1, sh.cin, sh.hw, sh.hw}, wei_d = {sh.cout, sh.cin, 3, 3}, bia_d = {sh.cout},
                 dst_d = {1, sh.cout, sh.hw, sh.hw};
    std::vector<float> src(sh.cin * sh.hw * sh.hw), wei(sh.cout * sh.cin * 9), bia(sh.cout);
    for (auto& v : src) v = std::abs(normal(rng));  // post-ReLU activations are non-negative
    float scale = std::sqrt(2.f / (sh.cin * 9));
    for (auto& v : wei) v = normal(rng) * scale;
    for (auto& v : bia) v = normal(rng) * 0.01f;
    memory src_user({src_d, dt::f32, tag::nhwc}, eng, src.data());
    memory wei_user({wei_d, dt::f32, tag::oihw}, eng, wei.data());
    memory bia_user({bia_d, dt::f32, tag::x}, eng, bia.data());
    std::vector<float> out_direct;
    // direct in NHWC is what libtorch's channels-last convolution asks oneDNN for
    const algorithm algs[] = {algorithm::convolution_direct, algorithm::convolution_winograd, algorithm::convolution_direct};
    const char* alg_names[] = {"direct blocked", "winograd", "direct nhwc (libtorch)"};
    const int n_algs = 3;
    struct Prepared {
      bool ok = false;
      convolution_forward conv;
      memory src, wei, dst;
      std::string impl;
    } prep[n_algs];
    for (int a = 0; a < n_algs; a++) {
      const tag act = a == 2 ? tag::nhwc : tag::any, wt = tag::any;
      // format "any": each algorithm picks its own layouts (blocked for both); the source and the
      // weights are reordered once, outside the timing, as prepacked weights and a layout kept
      // between convolutions would be
      auto desc = convolution_forward::desc(prop_kind::forward_inference, algs[a], {src_d, dt::f32, act},
                                            {wei_d, dt::f32, wt}, {bia_d, dt::f32, tag::x},
                                            {dst_d, dt::f32, act}, {1, 1}, {1, 1}, {1, 1});
      try {
        auto pd = convolution_forward::primitive_desc(desc, eng);
        prep[a].impl = pd.impl_info_str();
        prep[a].src = memory(pd.src_desc(), eng);
        prep[a].wei = memory(pd.weights_desc(), eng);
        prep[a].dst = memory(pd.dst_desc(), eng);
        reorder(src_user, prep[a].src).execute(s, src_user, prep[a].src);
        reorder(wei_user, prep[a].wei).execute(s, wei_user, prep[a].wei);
        prep[a].conv = convolution_forward(pd);
        prep[a].ok = true;
      } catch (const dnnl::error& e) {
        std::printf("%s %s: unavailable (%s)\n", sh.name, alg_names[a], e.what());
      }
    }
    std::vector<double> times[n_algs];
    for (int r = 0; r < rounds + 1; r++) {
      for (int a = 0; a < n_algs; a++) {
        if (!prep[a].ok) continue;
        double t0 = now_ms();
        prep[a].conv.execute(s, {{DNNL_ARG_SRC, prep[a].src}, {DNNL_ARG_WEIGHTS, prep[a].wei},
                                 {DNNL_ARG_BIAS, bia_user}, {DNNL_ARG_DST, prep[a].dst}});
        s.wait();
        if (r > 0) times[a].push_back(now_ms() - t0);
      }
    }
    std::vector<float> outs[n_algs];
    for (int a = 0; a < n_algs; a++) {
      if (!prep[a].ok) continue;
      outs[a].resize(sh.cout * sh.hw * sh.hw);
      memory out_user({dst_d, dt::f32, tag::nhwc}, eng, outs[a].data());
      reorder(prep[a].dst, out_user).execute(s, prep[a].dst, out_user);
      s.wait();
      std::sort(times[a].begin(), times[a].end());
      std::printf("%s %s: median %.2f ms, min %.2f ms (%s)\n", sh.name, alg_names[a], times[a][times[a].size() / 2],
                  times[a][0], prep[a].impl.c_str());
    }
    if (prep[0].ok && prep[1].ok) {
      double max_abs = 0, max_ref = 0;
      for (size_t i = 0; i < outs[0].size(); i++) {
        max_abs = std::max(max_abs, (double)std::abs(outs[0][i] - outs[1][i]));
        max_ref = std::max(max_ref, (double)std::abs(outs[0][i]));
      }
      std::printf("%s winograd vs direct: max abs diff %.3g (largest output %.3g, relative %.3g)\n", sh.name, max_abs,
                  max_ref, max_abs / max_ref);
    }
  }
  return 0;
}
