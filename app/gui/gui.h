#pragma once
// Entry point of the explorer window; the CLI front end (app/main.cpp) calls it.
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/config.h"

namespace vae::gui {

struct GuiOptions {
  DataSpec data;                   // --data with --image-size, --rgb, --test-fraction, --seed
  std::string load_path;           // --load FILE: open a checkpoint, do not train
  std::string follow_path;         // --follow FILE: reload it whenever it is rewritten
  std::string load_data_override;  // --data as given together with --load (else the checkpoint's data)
  std::string score_data;          // --score-data DATA: a second data set for the Density panel to score
  int width = 1280;
  int height = 800;
  bool size_given = false;  // --width or --height: exactly that size, else the default fitted to the screen
  bool autostart = true;    // start training at launch when nothing is loaded
  ModelConfig model;        // the reference model by default
  TrainConfig train;

  // Test and measurement hooks (see diagnostics.h); all off by default.
  std::string screenshot_path;   // --screenshot FILE: render `frames` frames, save, exit 0
  int frames = 0;                // --frames N
  std::string layout_json_path;  // --layout-json FILE
  // --drop FILE (repeatable): handled after the first frame exactly like a file dropped on the
  // window; lets tests exercise drag-and-drop, which xdotool cannot perform.
  std::vector<std::string> drop_paths;
};

// Returns the process exit code. Never throws.
int run(const GuiOptions& options);

}  // namespace vae::gui
