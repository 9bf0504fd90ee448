// Peer: the same ResNet-50 trunk (the .aoiw weights, batch norm folded)
// through oneDNN primitives, built the way oneDNN is meant to be used: blocked
// layouts chosen by the library (format_tag::any), weights reordered once at
// build time, bias + residual sum + ReLU fused as post-ops. Threads: oneDNN's
// own runtime (OMP_NUM_THREADS for Debian's OpenMP build).
//
//   onednn_trunk --weights W.aoiw --batch 1 --iterations 30 [--layout any|plain]   -> JSON line
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nn/trunk.hpp"
#include "weights/weight_file.hpp"
#include "peer_args.hpp"

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Net {
  // tag::any lets oneDNN pick its blocked layouts (how it is meant to be
  // used); --layout plain pins NCHW activations and OIHW weights instead.
  tag layout = tag::any, weight_layout = tag::any;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps;
  std::vector<std::vector<float>> keep;  // user-side buffers the primitives read

  memory ensure(memory m, const memory::desc& want) {
    if (m.get_desc() == want) return m;
    memory out(want, eng);
    steps.push_back({dnnl::reorder(m, out), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, out}}});
    return out;
  }

  // Convolution with fused post-ops; `accumulate` holds the residual and
  // receives the output (sum post-op) when given.
  memory conv(memory src, const aoi::nn::Conv2d& c, int batch, int h, int w, bool relu, memory* accumulate) {
    const int k = c.kernel(), s = c.stride(), p = c.pad();
    const auto g = c.geometry(h, w);
    const int oh = g.out_height(), ow = g.out_width();
    const memory::dims src_d{batch, c.in_channels(), h, w}, dst_d{batch, c.out_channels(), oh, ow},
        w_d{c.out_channels(), c.in_channels(), k, k}, b_d{c.out_channels()};
    dnnl::post_ops ops;
    if (accumulate) ops.append_sum(1.0f);
    if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const memory::desc dst_md = accumulate ? accumulate->get_desc() : memory::desc(dst_d, dt::f32, layout);
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         memory::desc(src_d, dt::f32, layout), memory::desc(w_d, dt::f32, weight_layout),
                                         memory::desc(b_d, dt::f32, tag::x), dst_md, {s, s}, {p, p}, {p, p});
    dnnl::convolution_forward::primitive_desc pd(desc, attr, eng);
    src = ensure(src, pd.src_desc());
    keep.emplace_back(c.weight().begin(), c.weight().end());
    memory user_w({w_d, dt::f32, tag::oihw}, eng, keep.back().data());
    memory weights(pd.weights_desc(), eng);
    dnnl::reorder(user_w, weights).execute(stream, user_w, weights);  // once, at build time
    stream.wait();
    keep.emplace_back(c.bias().begin(), c.bias().end());
    memory bias({b_d, dt::f32, tag::x}, eng, keep.back().data());
    memory dst = accumulate ? *accumulate : memory(pd.dst_desc(), eng);
    steps.push_back({dnnl::convolution_forward(pd),
                     {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}}});
    return dst;
  }

  memory pool(memory src, dnnl::algorithm algo, int batch, int c, int h, int w, int k, int s, int p) {
    const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algo, src.get_desc(),
                                     memory::desc({batch, c, oh, ow}, dt::f32, layout), {s, s}, {k, k}, {p, p}, {p, p});
    dnnl::pooling_forward::primitive_desc pd(desc, eng);
    memory dst(pd.dst_desc(), eng);
    steps.push_back({dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}});
    return dst;
  }

  void run() {
    for (auto& [prim, args] : steps) prim.execute(stream, args);
    stream.wait();
  }
};

}  // namespace

int main(int argc, char** argv) {
  const auto args = aoi::bench::parse_peer_args(argc, argv);
  const auto file = aoi::weights::WeightFile::open(args.weights);
  const aoi::nn::Trunk trunk(file);
  const int size = file.description().preprocess.input_size, batch = args.batch;

  Net net;
  if (args.layout == "plain") net.layout = tag::nchw, net.weight_layout = tag::oihw;
  else if (args.layout != "any") {
    std::fprintf(stderr, "--layout must be any or plain\n");
    return 2;
  }
  std::vector<float> input = aoi::bench::synthetic_input(batch, size);
  memory user_in({{batch, 3, size, size}, dt::f32, tag::nchw}, net.eng, input.data());
  int h = size, w = size;
  memory x = net.conv(user_in, trunk.stem(), batch, h, w, true, nullptr);
  h = w = trunk.stem().geometry(h, w).out_height();
  using aoi::nn::Trunk;
  x = net.pool(x, dnnl::algorithm::pooling_max, batch, trunk.stem().out_channels(), h, w, Trunk::kPoolKernel,
               Trunk::kPoolStride, Trunk::kPoolPad);
  h = w = Trunk::pooled_size(h);
  int channels = trunk.stem().out_channels();
  for (const auto& stage : trunk.stages())
    for (const auto& b : stage) {
      memory t1 = net.conv(x, b.conv1, batch, h, w, true, nullptr);
      const int h1 = b.conv1.geometry(h, w).out_height();
      memory t2 = net.conv(t1, b.conv2, batch, h1, h1, true, nullptr);
      const int h2 = b.conv2.geometry(h1, h1).out_height();
      memory identity = b.downsample ? net.conv(x, *b.downsample, batch, h, w, false, nullptr) : x;
      // conv3's output format must match the identity's for the in-place sum.
      x = net.conv(t2, b.conv3, batch, h2, h2, true, &identity);
      h = w = h2, channels = b.conv3.out_channels();
    }
  memory pooled = net.pool(x, dnnl::algorithm::pooling_avg_exclude_padding, batch, channels, h, w, h, 1, 0);
  std::vector<float> features(std::size_t(batch) * channels);
  memory user_out({{batch, channels, 1, 1}, dt::f32, tag::nchw}, net.eng, features.data());
  net.steps.push_back({dnnl::reorder(pooled, user_out), {{DNNL_ARG_FROM, pooled}, {DNNL_ARG_TO, user_out}}});

  aoi::bench::report_peer(args.layout == "plain" ? "onednn_nchw" : "onednn", args, [&] { net.run(); }, features);
  return 0;
}
