// vae-explorer train: trains in the background trainer (or as one process of a data-parallel
// run), shows a progress line, saves after
// every epoch, prints the final test metrics (as JSON with --json).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_common.h"
#include "app/cli_launch.h"
#include "app/commands.h"
#include "core/errors.h"
#include "core/eval/inference.h"
#include "core/io/export.h"
#include "core/io/safe_file.h"
#include "core/runtime/runtime.h"
#include "core/train/distributed.h"
#include "core/train/onednn_gemm.h"
#include "core/train/trainer.h"

namespace vae::cli {

namespace {

// The shared model/data/optimiser options plus what only training has.
struct TrainOptions : ModelDataOptions {
  std::string out;
  std::string resume;
  std::string samples;
  bool json = false;
  int torch_threads = 0;
  std::string precision = "fp32";  // the fused MLP step's GEMMs: fp32 or bf16 (AVX512-BF16)
  // Data-parallel training (core/train/distributed.h).
  int world_size = 1;
  int rank = 0;
  std::string master;
  double timeout = DistributedOptions{}.timeout_seconds;
  int nproc = 0;
  // The run's timeline (core/train/timeline.h).
  bool save_timeline = false;
  std::int64_t timeline_every = 0;
  std::uint64_t timeline_memory_mb = TimelineBudget{}.memory_bytes / TimelineBudget::kMegabyte;
  std::uint64_t timeline_disk_mb = TimelineBudget{}.disk_bytes / TimelineBudget::kMegabyte;
};

// The loss's label for people: "-ELBO" for VAEs, "loss" otherwise.
std::string loss_label(const MetricHistory& history) { return history.loss_name == "neg_elbo" ? "-ELBO" : "loss"; }

// An epoch's figures under the model's own names: train_neg_elbo, test_neg_elbo, test_recon,
// test_kl for a VAE; train_loss, test_loss, test_recon, test_codebook, ... for a VQ-VAE.
nlohmann::json epoch_json(const EpochMetrics& e, const MetricHistory& history) {
  nlohmann::json j = {{"epoch", e.epoch},
                      {"step", e.step},
                      {"train_" + history.loss_name, e.train_loss},
                      {"test_" + history.loss_name, e.test_loss}};
  for (std::size_t t = 0; t < history.term_names.size(); ++t)
    j["test_" + history.term_names[t]] = MetricHistory::value_of(e.test_terms, int(t));
  if (e.active_units >= 0) j["active_units"] = e.active_units;
  if (e.iw_samples > 0) {
    j["test_nll_is"] = e.test_nll_is;
    j["iw_samples"] = e.iw_samples;
  }
  return j;
}

// Every number an option can take is checked here, with the option's name, before any work.
void check_options(const TrainOptions& o) {
  check_model_data_options(o);
  check_option("--torch-threads", o.torch_threads, 0, 256);
  if (parse_gemm_precision(o.precision) == GemmPrecision::Bf16) {
    if (const std::string why = bf16_unavailable_reason(); !why.empty())
      throw ConfigError("--precision bf16 needs AVX512-BF16 through oneDNN, and " + why + ": use --precision fp32");
  }
}

std::string epoch_line(const EpochMetrics& e, const MetricHistory& history, int planned) {
  char number[64];
  std::string text = "epoch " + std::to_string(e.epoch) + "/" + std::to_string(planned) + ": ";
  std::snprintf(number, sizeof number, "train %s %.2f, test %s %.2f (", loss_label(history).c_str(), e.train_loss,
                loss_label(history).c_str(), e.test_loss);
  text += number;
  for (std::size_t t = 0; t < history.term_names.size(); ++t) {
    std::snprintf(number, sizeof number, "%s%s %.2f", t ? ", " : "", history.term_names[t].c_str(),
                  MetricHistory::value_of(e.test_terms, int(t)));
    text += number;
  }
  text += ")";
  if (e.active_units >= 0) text += ", " + std::to_string(e.active_units) + " active units";
  return text;
}

int run_train(const TrainOptions& o, const CLI::App& sub) {
  check_options(o);
  // Before any work: a run that cannot be saved is found out now, not after hours of training.
  if (!o.out.empty()) check_writable(o.out);
  if (!o.samples.empty()) check_writable(o.samples);
  auto given = [&](const char* name) { return sub.count(name) > 0; };
  if (o.save_timeline && o.out.empty())
    throw ConfigError("--save-timeline writes the timeline into the --out checkpoint: give --out");
  if (o.timeline_every < 0) throw ConfigError("--timeline-every must be 0 (epochs only) or a number of steps");
  if (o.timeline_memory_mb > (std::uint64_t(1) << 20) || o.timeline_disk_mb > (std::uint64_t(1) << 22))
    throw ConfigError("--timeline-memory-mb is at most 1048576 and --timeline-disk-mb at most 4194304");
  if (o.save_timeline && (given("--nproc") || o.world_size > 1))
    throw ConfigError("--save-timeline is for single-process training; leave it out with --nproc/--world-size");
  if (given("--nproc")) {
    if (given("--world-size") || given("--rank") || given("--master"))
      throw ConfigError("--nproc launches the processes itself: leave out --world-size, --rank and --master");
    return launch_local_ranks(o.nproc);
  }
  DistributedOptions distributed;
  distributed.world_size = o.world_size;
  distributed.rank = o.rank;
  distributed.timeout_seconds = o.timeout;
  const bool data_parallel = o.world_size > 1;
  if (!data_parallel && (given("--rank") || given("--master")))
    throw ConfigError("--rank and --master need --world-size of 2 or more");
  if (!o.master.empty()) parse_master_address(o.master, distributed);
  distributed.validate();
  // Only rank 0 talks: the other ranks print nothing but errors.
  const bool leader = distributed.rank == 0;
  const std::string threads = configure_threads(ThreadProfile::Headless, o.torch_threads);
  // The first line says which BLAS kernel runs: a wrong one costs a factor of 4-5.
  if (leader) std::cerr << "compute: " << threads << "\n";
  if (detect_blas().is_reference)
    std::cerr << "warning: the netlib reference BLAS is active; training will be about 10x slower. "
                 "Install libopenblas0-pthread (tools/install-deps does).\n";

  std::unique_ptr<Checkpoint> checkpoint;
  TrainConfig train;
  if (!o.resume.empty()) {
    checkpoint = std::make_unique<Checkpoint>(load_checkpoint(o.resume));
    if (!checkpoint->load_note.empty()) std::cerr << "note: " << o.resume << ": " << checkpoint->load_note << "\n";
    train = checkpoint->train_config;  // what was set explicitly below overrides it
  }
  const TrainConfig asked = o.train_config();
  if (!checkpoint) train = asked;
  if (given("--beta")) train.beta = asked.beta;
  if (given("--lr")) train.learning_rate = asked.learning_rate;
  if (given("--batch")) {
    train.batch_size = asked.batch_size;
  } else if (checkpoint && data_parallel) {
    // A data-parallel checkpoint records the whole step's batch; each process takes its share.
    if (train.batch_size % distributed.world_size != 0)
      throw ConfigError("the checkpoint's batch of " + std::to_string(train.batch_size) + " does not split over " +
                        std::to_string(distributed.world_size) + " processes: give --batch (per process)");
    train.batch_size /= distributed.world_size;
  }
  if (given("--epochs")) train.epochs = asked.epochs;
  if (given("--seed")) train.seed = asked.seed;
  if (given("--iw-samples")) train.iw_samples = asked.iw_samples;
  if (given("--iw-limit")) train.iw_limit = asked.iw_limit;
  train.bf16_gemms = parse_gemm_precision(o.precision) == GemmPrecision::Bf16;  // never in a checkpoint
  train.validate();

  DataSpec spec;
  if (checkpoint) {
    spec = data_spec_for(*checkpoint, given("--data") ? o.data : "");
  } else {
    spec = o.data_spec();
  }
  const auto data = leader ? load_data_with_message(spec) : load_dataset(spec);

  ModelConfig model;
  if (!checkpoint) {
    model = o.model_config();
    if (o.conditional) {
      if (!data->train.has_labels())
        throw ConfigError("--conditional needs a labelled data set, and '" + data->name +
                          "' has no labels (an image folder needs one subfolder per class)");
      int classes = static_cast<int>(data->class_names.size());
      for (int label : data->train.labels) classes = std::max(classes, label + 1);
      model.conditional = true;
      model.classes = classes;
      model.class_names = data->class_names;
    }
    model.channels = data->channels;
    model.height = data->height;
    model.width = data->width;
  }
  if (checkpoint && leader)
    std::cerr << "resuming " << o.resume << " at epoch " << checkpoint->epoch << ", step " << checkpoint->step << "\n";
  if (leader)
    std::cerr << "model: " << (checkpoint ? checkpoint->model_config : model).describe() << "; beta " << train.beta
              << ", Adam lr " << train.learning_rate << ", batch " << train.batch_size
              << (data_parallel ? " per process x " + std::to_string(distributed.world_size) + " processes" : "")
              << ", " << train.epochs << " epochs\n";

  ProgressLine progress("train");
  std::size_t epochs_reported = checkpoint ? checkpoint->history.epochs.size() : 0;
  std::uint64_t messages_seen = 0;
  auto on_progress = [&](const Snapshot& s) {
    for (; epochs_reported < s.history.epochs.size(); ++epochs_reported) {
      const auto& e = s.history.epochs[epochs_reported];
      std::string text = epoch_line(e, s.history, s.train_config.epochs);
      if (e.iw_samples > 0) text += ", NLL(IS k=" + std::to_string(e.iw_samples) + ") " + std::to_string(e.test_nll_is);
      progress.note(text);
    }
    if (s.message_id != messages_seen) {
      messages_seen = s.message_id;
      if (s.message_is_error || s.message.rfind("saved", 0) != 0)
        progress.note((s.message_is_error ? "error: " : "") + s.message);
    }
    if (s.state == TrainerState::Running && !s.history.steps.empty()) {
      const auto& last = s.history.steps.latest();  // this step's loss, not a thinned row's mean
      char detail[128];
      std::snprintf(detail, sizeof detail, "epoch %d/%d step %lld  %s %.1f  %.0f samples/s", s.epoch + 1,
                    s.train_config.epochs, static_cast<long long>(s.step), loss_label(s.history).c_str(), last.loss,
                    s.samples_per_sec);
      progress.update(s.progress(), detail, s.eta_seconds);
    }
  };

  std::shared_ptr<const Snapshot> last;
  std::shared_ptr<const TimelineStore> trainer_timeline;  // what the checkpoint carries, if anything
  if (data_parallel) {
    DistributedJob job;
    job.data = data;
    job.model = checkpoint ? nullptr : &model;
    job.resume = checkpoint.get();
    job.train = train;
    job.checkpoint_path = leader ? o.out : "";
    if (leader) job.progress = on_progress;
    last = std::make_shared<const Snapshot>(train_data_parallel(job, distributed));
    if (last->message_is_error) {
      std::cerr << "vae-explorer train (rank " << distributed.rank << "): " << last->message << "\n";
      return kExitFailure;
    }
    if (!leader) return 0;
  } else {
    std::unique_ptr<Trainer> trainer;
    try {
      trainer = checkpoint ? std::make_unique<Trainer>(data, *checkpoint, train)
                           : std::make_unique<Trainer>(data, model, train);
    } catch (const CheckpointError& error) {
      if (!checkpoint) throw;
      throw CheckpointError(o.resume + ": " + error.what());
    }
    const auto first = trainer->snapshot();
    if (!first->message.empty()) std::cerr << "note: " << first->message << "\n";
    messages_seen = first->message_id;
    const auto* interrupted = interrupt_flag();
    bool stop_sent = false;
    trainer->set_progress_callback([&](const Snapshot& s) {
      if (interrupted->load() && !stop_sent) {
        stop_sent = true;  // Ctrl+C: stop after this step; the state is saved below
        trainer->stop();
      }
      on_progress(s);
    });
    if (!o.out.empty()) trainer->set_autosave_path(o.out);
    TimelineBudget budget;
    budget.memory_bytes = o.timeline_memory_mb * TimelineBudget::kMegabyte;
    budget.disk_bytes = o.timeline_disk_mb * TimelineBudget::kMegabyte;
    budget.every_steps = o.timeline_every;
    trainer->set_timeline_budget(budget);
    // (A checkpoint that carried a timeline keeps carrying it without being asked.)
    if (o.save_timeline) trainer->set_save_timeline(true);
    trainer->start();
    trainer->wait_until_done();
    trainer->set_progress_callback(nullptr);

    last = trainer->snapshot();
    if (trainer->save_timeline() && !o.out.empty()) trainer_timeline = trainer->timeline();
    if (interrupted->load()) {
      if (!o.out.empty() && last->state != TrainerState::Failed) {
        trainer->save_checkpoint(o.out);  // atomically: the file is the old one or the new one
        trainer->wait_until_done();
        const auto saved = trainer->snapshot();
        std::cerr << "\n" << (saved->message_is_error ? "could not save: " : "") << saved->message << "\n";
      }
      return kExitInterrupted;
    }
    if (last->state == TrainerState::Failed || last->message_is_error) {
      std::cerr << "vae-explorer train: " << last->message << "\n";
      const bool save_failed = last->message.rfind("autosave failed", 0) == 0;
      if (!o.out.empty() && last->state != TrainerState::Failed && !save_failed) {
        trainer->save_checkpoint(o.out);  // keep what was learned up to the last good step
        trainer->wait_until_done();
      }
      return kExitFailure;
    }
    if (!o.out.empty() && (last->history.epochs.empty() || last->history.epochs.back().step != last->step)) {
      trainer->save_checkpoint(o.out);
      trainer->wait_until_done();
      const auto saved = trainer->snapshot();
      if (saved->message_is_error) throw IoError(saved->message);
    }
  }
  if (trainer_timeline) {
    const auto points = trainer_timeline->size();
    std::cerr << "timeline: " << points << " points of " << describe_bytes(trainer_timeline->point_bytes()) << " each ("
              << describe_bytes(points * trainer_timeline->point_bytes()) << ") saved in " << o.out << "\n";
  }
  const double rate = last->train_seconds > 0 ? last->train_examples / last->train_seconds : 0;
  progress.finish(std::to_string(last->epoch) + " epochs, " + std::to_string(last->step) + " steps, " +
                  std::to_string(static_cast<long>(rate)) + " samples/s" + (o.out.empty() ? "" : ", saved " + o.out));

  if (!o.samples.empty()) {
    Inference inference(last->model);
    write_png(make_grid(inference.sample(64, train.seed), 8), o.samples);
    std::cerr << "wrote " << o.samples << "\n";
  }
  if (o.json) {
    nlohmann::json result = {{"epochs", last->epoch},
                             {"steps", last->step},
                             {"samples_per_sec", rate},
                             {"train_seconds", last->train_seconds},
                             {"model", last->model_config.describe()},
                             {"data", data->spec}};
    if (!last->history.epochs.empty()) {
      const auto& e = last->history.epochs.back();
      result.update(epoch_json(e, last->history));
    }
    if (!o.out.empty()) result["checkpoint"] = o.out;
    std::cout << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  return 0;
}

}  // namespace

Runner add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand("train", "Train a VAE (or continue a checkpoint with --resume)");
  add_model_data_options(*sub, *options);
  sub->add_option("--out", options->out, "checkpoint to write (after every epoch, atomically)");
  sub->add_option("--resume", options->resume, "checkpoint to continue from");
  sub->add_option("--samples", options->samples, "write a PNG grid of 64 samples at the end");
  sub->add_flag("--json", options->json, "print the final metrics as one JSON object on stdout");
  auto* timeline = "Timeline (the weights of every epoch, for replaying the run in the window)";
  sub->add_flag("--save-timeline", options->save_timeline,
                "write the timeline into the --out checkpoint (each point adds the model's size)")
      ->group(timeline);
  sub->add_option("--timeline-every", options->timeline_every, "also keep a point every N steps (0: epochs only)")
      ->group(timeline)
      ->capture_default_str();
  sub->add_option("--timeline-memory-mb", options->timeline_memory_mb, "points kept in memory before spilling")
      ->group(timeline)
      ->capture_default_str();
  sub->add_option("--timeline-disk-mb", options->timeline_disk_mb,
                  "spill file limit beside --out; beyond it the timeline thins out")
      ->group(timeline)
      ->capture_default_str();
  sub->add_option("--torch-threads", options->torch_threads,
                  "torch intra-op threads (default: the measured 2 headless)");
  sub->add_option("--precision", options->precision,
                  "GEMMs of the MLP's fused step: fp32, or bf16 (AVX512-BF16; weights and Adam stay fp32)")
      ->capture_default_str();
  auto* parallel = "Data-parallel (c10d/gloo; --batch is per process)";
  sub->add_option("--nproc", options->nproc, "run N processes on this machine as one data-parallel run")
      ->group(parallel);
  sub->add_option("--world-size", options->world_size, "processes in a data-parallel run (all machines)")
      ->group(parallel)
      ->capture_default_str();
  sub->add_option("--rank", options->rank, "this process, 0..world-size-1; rank 0 evaluates and writes --out")
      ->group(parallel)
      ->capture_default_str();
  sub->add_option("--master", options->master, "HOST:PORT where rank 0 listens (default 127.0.0.1:29500)")
      ->group(parallel);
  sub->add_option("--timeout", options->timeout, "seconds a silent process may keep the others waiting")
      ->group(parallel)
      ->capture_default_str();
  return [options, sub] { return guarded("train", [&] { return run_train(*options, *sub); }); };
}

}  // namespace vae::cli
