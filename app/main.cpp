// vae-explorer: with a subcommand, the headless command line; without, the explorer window.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli_common.h"
#include "app/commands.h"
#include "app/version.h"
#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/io/file_watch.h"
#include "core/runtime/cpu_kernel.h"
#ifdef VAE_WITH_GUI
#include "app/gui/gui.h"
#endif

int main(int argc, char** argv) {
  // Before anything else: may restart the program once with a better BLAS kernel.
  vae::ensure_best_blas_kernel(argv);
  CLI::App app{"VAE Explorer: train, explore and export variational autoencoders"};
  app.require_subcommand(0, 1);
  app.set_version_flag(
      "--version", [] { return vae::version_text(); },
      "Print the versions of this program, LibTorch, the BLAS and its kernel, then exit");
  const auto train = vae::cli::add_train_command(app);
  const auto eval = vae::cli::add_eval_command(app);
  const auto sample = vae::cli::add_sample_command(app);
  const auto exporter = vae::cli::add_export_command(app);
  const auto ood = vae::cli::add_ood_command(app);

#ifdef VAE_WITH_GUI
  vae::gui::GuiOptions gui;
  // The model, data and optimiser: the same options, from the same definition, as `train`.
  vae::cli::ModelDataOptions window_model;
  vae::cli::add_model_data_options(*app.add_option_group("Window: model, data and optimiser"), window_model);
  app.add_option("--load", gui.load_path, "window: open a checkpoint instead of training");
  // What a file manager passes (vae-explorer.desktop's Exec=vae-explorer %f).
  app.add_option("checkpoint", gui.load_path, "window: a checkpoint to open, as --load");
  app.add_option("--follow", gui.follow_path,
                 "window: open a checkpoint another process keeps rewriting, reload it when it changes");
  app.add_option("--width", gui.width, "window width")->capture_default_str();
  app.add_option("--height", gui.height, "window height")->capture_default_str();
  app.add_flag("!--no-train", gui.autostart, "window: do not start training at launch");
  app.add_option("--score-data", gui.score_data,
                 "window: a second data set (idx:DIR | idx:FILE | images:DIR | synthetic, or a path) to score "
                 "against the model in the Density panel");
  auto* hooks = app.add_option_group("Window: test and measurement hooks");
  hooks->add_option("--screenshot", gui.screenshot_path, "render --frames frames, save a PNG, exit");
  hooks->add_option("--frames", gui.frames, "frames to render before --screenshot");
  hooks->add_option("--layout-json", gui.layout_json_path, "write the panels' rectangles as JSON");
  hooks->add_option("--drop", gui.drop_paths, "open files after the first frame as if dropped on the window");
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
  if (app.got_subcommand("ood")) return ood();
#ifdef VAE_WITH_GUI
  const int invalid = vae::cli::guarded("window", [&] {
    vae::cli::check_model_data_options(window_model);
    vae::cli::check_option("--width", gui.width, 320, 16384);
    vae::cli::check_option("--height", gui.height, 240, 16384);
    gui.size_given = app.count("--width") > 0 || app.count("--height") > 0;
    vae::cli::check_option("--frames", gui.frames, 0, 1000000);
    gui.model = window_model.model_config();
    gui.train = window_model.train_config();
    gui.data = window_model.data_spec();
    gui.model.validate();
    gui.train.validate();
    // Validated without it: the classes come from the data, once the window has loaded it.
    gui.model.conditional = window_model.conditional;
    return 0;
  });
  if (invalid != 0) return invalid;
  if (!gui.follow_path.empty()) {
    if (!gui.load_path.empty()) {
      std::cerr << "vae-explorer: --follow and --load both open a checkpoint: give one\n";
      return vae::cli::kExitUsage;
    }
    // Watching a run, not training one. A file not written yet is loaded when it appears.
    gui.autostart = false;
    if (vae::stamp_file(gui.follow_path).exists)
      gui.load_path = gui.follow_path;
    else
      std::cerr << "vae-explorer: waiting for " << gui.follow_path << " to appear\n";
  }
  // With --load, the checkpoint's own training data unless --data says otherwise.
  if (!gui.load_path.empty() && app.count("--data") > 0) gui.load_data_override = window_model.data;
  return vae::gui::run(gui);
#else
  std::cerr << "this build has no window (VAE_BUILD_GUI=OFF): use train, eval, sample or export\n";
  return vae::cli::kExitUsage;
#endif
}
