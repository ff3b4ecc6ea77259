// vae-explorer: with a subcommand, the headless command line; without, the explorer window.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli_common.h"
#include "app/commands.h"
#include "app/version.h"
#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/runtime/cpu_kernel.h"
#ifdef VAE_WITH_GUI
#include "app/gui/gui.h"
#endif

int main(int argc, char** argv) {
  // Before anything else: may restart the program once with a better BLAS kernel.
  vae::ensure_best_blas_kernel(argv);
  CLI::App app{"VAE Explorer: train, explore and export variational autoencoders"};
  app.set_version_flag("--version", [] { return vae::cli::version_text(); });
  app.require_subcommand(0, 1);
  const auto train = vae::cli::add_train_command(app);
  const auto eval = vae::cli::add_eval_command(app);
  const auto sample = vae::cli::add_sample_command(app);
  const auto exporter = vae::cli::add_export_command(app);

#ifdef VAE_WITH_GUI
  vae::gui::GuiOptions gui;
  app.add_option("--data", gui.data_spec, "window: data set, fashion-mnist | idx:DIR | images:DIR | synthetic")
      ->capture_default_str();
  app.add_option("--load", gui.load_path, "window: open a checkpoint instead of training");
  app.add_option("--screenshot", gui.screenshot_path, "window: render --frames frames, save a PNG, exit");
  app.add_option("--frames", gui.frames, "window: frames to render before --screenshot");
  app.add_option("--layout-json", gui.layout_json_path, "window: write the panels' rectangles as JSON");
  app.add_option("--width", gui.width, "window width")->capture_default_str();
  app.add_option("--height", gui.height, "window height")->capture_default_str();
  app.add_flag("!--no-train", gui.autostart, "window: do not start training at launch");
  app.add_option("--drop", gui.drop_paths, "window: open files after the first frame as if dropped on it");
  // The model and optimiser the window starts with (the reference model by default).
  std::string model_kind = "mlp", likelihood = "bernoulli";
  app.add_option("--model", model_kind, "window: mlp | conv")->capture_default_str();
  app.add_option("--hidden", gui.model.hidden, "window: hidden layer widths")->capture_default_str();
  app.add_option("--latent", gui.model.latent, "window: latent dimensions")->capture_default_str();
  app.add_option("--likelihood", likelihood, "window: bernoulli | gaussian | cbernoulli")->capture_default_str();
  app.add_option("--beta", gui.train.beta, "window: KL weight")->capture_default_str();
  app.add_option("--lr", gui.train.learning_rate, "window: Adam learning rate")->capture_default_str();
  app.add_option("--batch", gui.train.batch_size, "window: batch size")->capture_default_str();
  app.add_option("--epochs", gui.train.epochs, "window: epochs to train")->capture_default_str();
  app.add_option("--seed", gui.train.seed, "window: random seed")->capture_default_str();
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : vae::cli::kExitUsage;
  }

  if (app.got_subcommand("train")) return train();
  if (app.got_subcommand("eval")) return eval();
  if (app.got_subcommand("sample")) return sample();
  if (app.got_subcommand("export")) return exporter();
#ifdef VAE_WITH_GUI
  const int invalid = vae::cli::guarded("window", [&] {
    gui.model.kind = vae::parse_model_kind(model_kind);
    gui.model.likelihood = vae::parse_likelihood(likelihood);
    gui.model.validate();
    gui.train.validate();
    return 0;
  });
  if (invalid != 0) return invalid;
  // With --load, the checkpoint's own training data unless --data says otherwise.
  if (!gui.load_path.empty() && app.count("--data") == 0) gui.data_spec.clear();
  return vae::gui::run(gui);
#else
  std::cerr << "this build has no window (VAE_BUILD_GUI=OFF): use train, eval, sample or export\n";
  return vae::cli::kExitUsage;
#endif
}
