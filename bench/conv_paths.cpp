// conv-paths: the conv VAE's training step (the project's conv family, --model conv: strided 4x4
// convolutions, a dense layer, transposed convolutions back; Bernoulli, Adam) through LibTorch
// 1.13's convolution paths, interleaved round by round on the same initial weights:
//   native         at::globalContext().setUserEnabledMkldnn(false): ATen's own convolutions
//   mkldnn         oneDNN convolutions (LibTorch's default for float CPU tensors with batch > 1)
//   channels-last  oneDNN, with the 4-D weights and the input in channels-last memory format
// for 28x28x1 (Fashion-MNIST's shape) and 64x64x3 (an RGB folder's). Prints samples/s of each
// (median over rounds) and the first step's loss of each (they must agree: same maths).
// Usage: conv-paths [--rounds 5] [--steps 30] [--batch 128] [--threads N] [--rgb64 1|2 (2: also
// 64x64x3, slow)]; run under
// flock /tmp/vae-bench.lock. Threads default to train's headless profile.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "core/model/vae.h"
#include "core/runtime/cpu_kernel.h"
#include "core/runtime/runtime.h"

namespace {

enum class Path { Native, Mkldnn, ChannelsLast };
const char* name_of(Path path) {
  switch (path) {
    case Path::Native:
      return "native (mkldnn off)";
    case Path::Mkldnn:
      return "mkldnn (default)";
    case Path::ChannelsLast:
      return "mkldnn + channels-last";
  }
  return "";
}

struct Runner {
  Path path;
  vae::Vae model{nullptr};
  std::unique_ptr<torch::optim::Adam> adam;
  torch::Tensor x;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  std::vector<double> samples_per_sec;
  double first_loss = 0;

  void step() {
    at::globalContext().setUserEnabledMkldnn(path != Path::Native);
    adam->zero_grad();
    const auto terms = model->loss(x, {}, generator, 1.0);
    terms.objective.backward();
    adam->step();
    if (first_loss == 0) first_loss = terms.objective.item<double>();
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  vae::ensure_best_blas_kernel(argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines as they come, also into a pipe
  int rounds = 5, steps = 30, batch = 128, threads = 0, with_rgb64 = 1;
  if (!vae::bench::parse_int_options(argc, argv, "conv-paths",
                                     {{"--rounds", &rounds},
                                      {"--steps", &steps},
                                      {"--batch", &batch},
                                      {"--threads", &threads},
                                      {"--rgb64", &with_rgb64}}))
    return 2;
  std::printf("compute: %s\n", vae::configure_threads(vae::ThreadProfile::Headless, threads).c_str());
  std::printf("mkldnn available: %s\n", at::globalContext().hasMKLDNN() ? "yes" : "no");

  struct Shape {
    int channels, side;
  };
  for (const Shape shape : {Shape{1, 28}, Shape{3, 64}}) {
    if (shape.side == 64 && with_rgb64 < 2) break;
    vae::ModelConfig config;
    config.kind = vae::ModelKind::Conv;
    config.channels = shape.channels;
    config.height = config.width = shape.side;
    torch::manual_seed(1);
    const auto images = torch::rand({batch, shape.channels, shape.side, shape.side});
    std::vector<Runner> runners;
    for (Path path : {Path::Native, Path::Mkldnn, Path::ChannelsLast}) {
      Runner r;
      r.path = path;
      torch::manual_seed(2);  // the same initial weights for every path
      r.model = vae::Vae(config);
      r.x = images.clone();
      if (path == Path::ChannelsLast) {
        torch::NoGradGuard no_grad;
        for (auto& p : r.model->parameters())
          if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
        r.x = r.x.contiguous(at::MemoryFormat::ChannelsLast);
      }
      r.adam = std::make_unique<torch::optim::Adam>(r.model->parameters(), torch::optim::AdamOptions(1e-3));
      runners.push_back(std::move(r));
    }
    for (auto& r : runners) r.step();  // first step: its loss, and warm-up
    for (auto& r : runners)
      for (int s = 0; s < 2; ++s) r.step();
    for (int round = 0; round < rounds; ++round) {
      for (auto& r : runners) {
        const auto start = std::chrono::steady_clock::now();
        for (int s = 0; s < steps; ++s) r.step();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        r.samples_per_sec.push_back(double(steps) * batch / seconds);
      }
    }
    at::globalContext().setUserEnabledMkldnn(true);
    std::printf("\nconv VAE %dx%dx%d (%s), batch %d, %d rounds of %d steps\n", shape.side, shape.side, shape.channels,
                config.describe().c_str(), batch, rounds, steps);
    const double base = median(runners[1].samples_per_sec);
    for (auto& r : runners) {
      const double rate = median(r.samples_per_sec);
      std::printf("  %-24s %9.0f samples/s  %5.2fx mkldnn   first loss %.4f\n", name_of(r.path), rate, rate / base,
                  r.first_loss);
    }
  }
  return 0;
}
