// vae-explorer: with a subcommand, the headless command line; without, the explorer window.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli_common.h"
#include "app/commands.h"
#include "core/data/dataset.h"
#include "core/errors.h"
#ifdef VAE_WITH_GUI
#include "app/gui/gui.h"
#endif

int main(int argc, char** argv) {
  CLI::App app{"VAE Explorer: train, explore and export variational autoencoders"};
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
  return vae::gui::run(gui);
#else
  std::cerr << "this build has no window (VAE_BUILD_GUI=OFF): use train, eval, sample or export\n";
  return vae::cli::kExitUsage;
#endif
}
