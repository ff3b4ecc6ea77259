#pragma once
// The subcommands of vae-explorer. Each registers its options on the CLI11 app and, once parsed,
// runs and returns the process exit code.
#include <CLI/CLI.hpp>
#include <functional>

namespace vae::cli {

using Runner = std::function<int()>;

Runner add_train_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_sample_command(CLI::App& app);
Runner add_export_command(CLI::App& app);
Runner add_ood_command(CLI::App& app);

}  // namespace vae::cli
