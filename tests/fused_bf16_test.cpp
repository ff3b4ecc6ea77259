// The fused MLP step with bf16 GEMMs (train --precision bf16) against its fp32 GEMMs: gradients
// close within what bf16's 8-bit mantissa allows, but not equal (the bf16 path really ran), and
// the option refused where it cannot run.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/model/vae.h"
#include "core/train/fused_mlp.h"
#include "core/train/onednn_gemm.h"

namespace vae {
namespace {

// bf16 keeps 8 significant bits: each operand is rounded with relative error <= 2^-9 (0.2 %).
// A GEMM's result then errs by about 2^-9 times the root of the summed squares of its terms, and
// the backward pass compounds a few GEMMs, so a gradient tensor as a whole (relative L2) stays
// within a few percent. 4 % allows that; a wrong operand or transpose gives errors near 100 %.
constexpr double kBf16RelativeL2 = 0.04;

bool bf16_here() { return bf16_unavailable_reason().empty(); }

TEST(FusedBf16, GradientsCloseToFp32) {
  if (!bf16_here()) GTEST_SKIP() << bf16_unavailable_reason();
  torch::manual_seed(11);
  ModelConfig config;
  config.height = 28;
  config.width = 28;
  config.hidden = {96, 48};  // two hidden layers: the hidden-to-hidden backward runs in bf16 too
  config.latent = 6;
  Vae model(config);
  const int n = 37;  // not a multiple of any vector width
  const auto x = torch::rand({n, 1, 28, 28});
  const auto eps = torch::randn({n, config.latent});
  auto fp32 = FusedMlpStep::create(*model, 64, GemmPrecision::Fp32);
  auto bf16 = FusedMlpStep::create(*model, 64, GemmPrecision::Bf16);
  ASSERT_TRUE(fp32 && bf16) << FusedMlpStep::unsupported_reason(*model, GemmPrecision::Bf16);
  std::vector<float> kl32(config.latent), kl16(config.latent);
  const auto loss32 = fp32->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), n, 1.0, kl32.data());
  const auto loss16 = bf16->forward_backward(x.data_ptr<float>(), eps.data_ptr<float>(), n, 1.0, kl16.data());
  ASSERT_TRUE(loss32.finite && loss16.finite);
  EXPECT_NEAR(loss16.recon, loss32.recon, 0.01 * std::abs(loss32.recon));
  EXPECT_NEAR(loss16.kl, loss32.kl, 0.05 * std::abs(loss32.kl) + 1e-3);

  const auto names = named_weights(model);
  double largest_error = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& g32 = fp32->gradients()[i];
    const auto& g16 = bf16->gradients()[i];
    const double norm = g32.norm().item<double>();
    ASSERT_GT(norm, 0) << names[i].first << " has no gradient: the test would prove nothing";
    const double error = (g16 - g32).norm().item<double>() / norm;
    EXPECT_LE(error, kBf16RelativeL2) << names[i].first;
    largest_error = std::max(largest_error, error);
  }
  std::printf("largest relative L2 error of a bf16 gradient: %.4f\n", largest_error);
  // Equal gradients would mean the GEMMs never saw bf16 operands.
  EXPECT_GT(largest_error, 1e-4);
}

TEST(FusedBf16, ConversionRoundsToNearestEven) {
  if (!bf16_here()) GTEST_SKIP() << bf16_unavailable_reason();
  // 1 + 2^-8 lies halfway between bf16's 1 and 1 + 2^-7: ties go to the even mantissa (1);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: to 1 + 2^-6. 19 values: a full
  // vector of 16 and a masked tail of 3.
  std::vector<float> in(19, 1.0f);
  in[16] = 1.0f + std::ldexp(1.0f, -8);
  in[17] = 1.0f + 3 * std::ldexp(1.0f, -8);
  in[18] = -2.5f;
  in[3] = 1.0f + 3 * std::ldexp(1.0f, -8);
  std::vector<std::uint16_t> out(19, 0xffff);
  convert_to_bf16(in.data(), out.data(), in.size());
  EXPECT_EQ(out[0], 0x3f80);
  EXPECT_EQ(out[3], 0x3f82);
  EXPECT_EQ(out[16], 0x3f80);
  EXPECT_EQ(out[17], 0x3f82);
  EXPECT_EQ(out[18], 0xc020);
}

TEST(FusedBf16, RefusedForConvModelsAndWithoutTheInstructions) {
  ModelConfig config;
  config.kind = ModelKind::Conv;
  config.hidden = {64};
  Vae conv(config);
  EXPECT_FALSE(FusedMlpStep::create(*conv, 16, GemmPrecision::Bf16));
  EXPECT_FALSE(FusedMlpStep::unsupported_reason(*conv, GemmPrecision::Bf16).empty());

  ModelConfig mlp;
  mlp.height = 8;
  mlp.width = 8;
  mlp.hidden = {16};
  mlp.latent = 2;
  Vae model(mlp);
  setenv("VAE_ASSUME_NO_BF16", "1", 1);
  const std::string why = bf16_unavailable_reason();
  const bool refused = !FusedMlpStep::create(*model, 8, GemmPrecision::Bf16);
  const bool fp32_still_works = FusedMlpStep::create(*model, 8, GemmPrecision::Fp32) != nullptr;
  unsetenv("VAE_ASSUME_NO_BF16");
  EXPECT_NE(why.find("AVX512-BF16"), std::string::npos) << why;
  EXPECT_TRUE(refused);
  EXPECT_TRUE(fp32_still_works);
  EXPECT_THROW(parse_gemm_precision("fp16"), std::exception);
  EXPECT_EQ(parse_gemm_precision("bf16"), GemmPrecision::Bf16);
}

}  // namespace
}  // namespace vae
