// Peer: the same ResNet-50 trunk (the .aoiw weights, batch norm folded)
// through oneDNN primitives, built the way oneDNN is meant to be used: blocked
// layouts chosen by the library (format_tag::any), weights reordered once at
// build time, bias + residual sum + ReLU fused as post-ops. Threads: oneDNN's
// own runtime (OMP_NUM_THREADS for Debian's OpenMP build).
//
// --precision int8 runs the int8 network a oneDNN user builds: the stem in
// float32 (as aoi's int8 files keep it), its pooled output reordered to u8,
// every bottleneck convolution u8 x s8 with per-channel output scales, the
// identity summed in u8 by the sum post-op. The scales are arbitrary (the
// weights are quantized here, not calibrated): a timing peer, whose
// features are not compared.
//
// --precision bf16 does the same in bfloat16 (the bf16 network of aoi's bf16
// files: float32 stem, bf16 bottleneck convolutions with bf16 weights and
// activations, float32 sums inside oneDNN, the identity summed in bf16).
//
//   onednn_trunk --weights W.aoiw --batch 1 --iterations 30 [--layout any|plain] [--precision fp32|int8|bf16]
#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
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
  std::vector<std::vector<std::int8_t>> keep_s8;
  dt low = dt::f32;  // the bottleneck convolutions' activations: f32, u8 (x s8 weights) or bf16

  memory ensure(memory m, const memory::desc& want) {
    if (m.get_desc() == want) return m;
    memory out(want, eng);
    steps.push_back({dnnl::reorder(m, out), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, out}}});
    return out;
  }

  // Convolution with fused post-ops; `accumulate` holds the residual and
  // receives the output (sum post-op) when given. `act` u8: u8 x s8 with
  // per-channel output scales, u8 output; bf16: bf16 in, weights and out.
  memory conv(memory src, const aoi::nn::Conv2d& c, int batch, int h, int w, bool relu, memory* accumulate,
              dt act = dt::f32) {
    const bool quantized = act == dt::u8;
    const int k = c.kernel(), s = c.stride(), p = c.pad();
    const auto g = c.geometry(h, w);
    const memory::dims src_d{batch, c.in_channels(), h, w}, dst_d{batch, c.out_channels(), g.out_height(), g.out_width()},
        w_d{c.out_channels(), c.in_channels(), k, k}, b_d{c.out_channels()};
    const dt wt = quantized ? dt::s8 : act;
    dnnl::post_ops ops;
    if (accumulate) ops.append_sum(1.0f);
    if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    // Per output channel, as aoi's int8 files quantize their weights.
    if (quantized) attr.set_output_scales(1 << 1, std::vector<float>(std::size_t(c.out_channels()), 1.0f / 4096));
    const memory::desc dst_md = accumulate ? accumulate->get_desc() : memory::desc(dst_d, act, layout);
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         memory::desc(src_d, act, layout), memory::desc(w_d, wt, weight_layout),
                                         memory::desc(b_d, dt::f32, tag::x), dst_md, {s, s}, {p, p}, {p, p});
    dnnl::convolution_forward::primitive_desc pd(desc, attr, eng);
    src = ensure(src, pd.src_desc());
    void* user_values;
    if (quantized) {  // arbitrary steps: a timing peer
      float top = 0;
      for (float v : c.weight()) top = std::max(top, std::abs(v));
      keep_s8.emplace_back();
      for (float v : c.weight()) keep_s8.back().push_back(std::int8_t(std::lround(v / (top > 0 ? top : 1) * 127)));
      user_values = keep_s8.back().data();
    } else {
      keep.emplace_back(c.weight().begin(), c.weight().end());
      user_values = keep.back().data();
    }
    memory user_w({w_d, quantized ? dt::s8 : dt::f32, tag::oihw}, eng, user_values);
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

  // A reorder of `src` to data type `type` (same dims, a layout of oneDNN's choice).
  memory convert(memory src, dt type) {
    memory::desc want(src.get_desc().dims(), type, tag::nhwc);
    return ensure(src, want);
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
  if (args.precision != "fp32" && args.precision != "int8" && args.precision != "bf16") {
    std::fprintf(stderr, "--precision must be fp32, int8 or bf16\n");
    return 2;
  }
  net.low = args.precision == "int8" ? dt::u8 : args.precision == "bf16" ? dt::bf16 : dt::f32;
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
  const dt q = net.low;
  if (q != dt::f32) x = net.convert(x, q);
  for (const auto& stage : trunk.stages())
    for (const auto& b : stage) {
      memory t1 = net.conv(x, b.conv1, batch, h, w, true, nullptr, q);
      const int h1 = b.conv1.geometry(h, w).out_height();
      memory t2 = net.conv(t1, b.conv2, batch, h1, h1, true, nullptr, q);
      const int h2 = b.conv2.geometry(h1, h1).out_height();
      memory identity = b.downsample ? net.conv(x, *b.downsample, batch, h, w, false, nullptr, q) : x;
      // conv3's output format must match the identity's for the in-place sum.
      x = net.conv(t2, b.conv3, batch, h2, h2, true, &identity, q);
      h = w = h2, channels = b.conv3.out_channels();
    }
  if (q != dt::f32) x = net.convert(x, dt::f32);
  memory pooled = net.pool(x, dnnl::algorithm::pooling_avg_exclude_padding, batch, channels, h, w, h, 1, 0);
  std::vector<float> features(std::size_t(batch) * channels);
  memory user_out({{batch, channels, 1, 1}, dt::f32, tag::nchw}, net.eng, features.data());
  net.steps.push_back({dnnl::reorder(pooled, user_out), {{DNNL_ARG_FROM, pooled}, {DNNL_ARG_TO, user_out}}});

  const std::string name = std::string(args.layout == "plain" ? "onednn_nchw" : "onednn") +
                           (q == dt::u8 ? "_int8" : q == dt::bf16 ? "_bf16" : "");
  aoi::bench::report_peer(name.c_str(), args, [&] { net.run(); }, features);
  return 0;
}
