#pragma once
// Data-parallel training over PyTorch's own distributed engine, c10d with its gloo backend: N
// processes (on one machine or several) each take their slice of every batch, sum their gradients
// with a bucketed all-reduce between the backward pass and the optimiser step, and so take the very
// step one process would take on the whole batch. Rank 0 hosts the rendezvous (a c10d TCPStore),
// evaluates after every epoch and writes the checkpoints, in the usual format.
// Torch-free: c10d and LibTorch stay in distributed.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/data/dataset.h"
#include "core/errors.h"
#include "core/model/config.h"
#include "core/train/snapshot.h"

namespace vae {

struct Checkpoint;

// Another process of the run died, went silent or disagrees about the run; or the rendezvous
// failed. The message says which and names the master address.
struct DistributedError : Error {
  using Error::Error;
};

struct DistributedOptions {
  int world_size = 1;                     // processes taking part
  int rank = 0;                           // this process, 0..world_size-1; rank 0 is the master
  std::string master_host = "127.0.0.1";  // where rank 0 listens for the rendezvous
  int master_port = 29500;                // c10d's customary port
  // A peer that stays silent this long fails the run (rank 0's evaluation must fit in it). A peer
  // that dies closes its connections and fails the run at once.
  double timeout_seconds = 120;

  void validate() const;  // throws ConfigError naming the option
};

// Parses --master: "HOST:PORT", or "[IPv6]:PORT". Throws ConfigError naming --master.
void parse_master_address(const std::string& text, DistributedOptions& options);

struct DistributedJob {
  std::shared_ptr<const Dataset> data;  // the same on every rank (checked at the rendezvous)
  const ModelConfig* model = nullptr;   // a fresh model, or ...
  const Checkpoint* resume = nullptr;   // ... continue this one (every rank reads the same file)
  TrainConfig train;                    // batch_size is per process
  std::string checkpoint_path;          // rank 0 saves here after every epoch (atomically); may be empty
  // Rank 0 only, on the calling thread, at most every publish_interval_ms and after every epoch.
  std::function<void(const Snapshot&)> progress;
};

// Trains as one rank of the run until the planned epochs are done, and returns the final picture:
// on rank 0 with the evaluations and the weights. Checkpoints record the whole step's batch
// (batch_size x world_size), so a single process resumes them with the same effective batch.
// A NaN/Inf step stops every rank at the same step: the weights of the last good step are
// restored, saved by rank 0, and the returned snapshot carries the error message.
// Throws DistributedError when a peer fails, ConfigError when the ranks disagree about the run.
Snapshot train_data_parallel(const DistributedJob& job, const DistributedOptions& options);

}  // namespace vae
