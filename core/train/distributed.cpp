#include "core/train/distributed.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <sstream>

#include "core/io/checkpoint.h"
#include "core/model/vae.h"
#include "core/train/session.h"

namespace vae {

namespace {

using Clock = std::chrono::steady_clock;

// Gradients travel in flat buckets of at most this size: one all-reduce per bucket rather than one
// per tensor, all buckets in flight at once (the reference MLP's 2.6 MB make three).
constexpr std::int64_t kBucketBytes = 1 << 20;
// Gloo's worker threads per process: enough to keep two buckets moving.
constexpr int kGlooThreads = 2;
const std::string kFingerprintKey = "vae-explorer/run/";
const std::string kCheckedKey = "vae-explorer/checked/";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// c10d's errors carry a C++ backtrace after the message; gloo's are one line already.
std::string reason(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error))
    return first_line(c10_error->what_without_backtrace());
  return first_line(error.what());
}

std::string master_address(const DistributedOptions& o) {
  const bool v6 = o.master_host.find(':') != std::string::npos;
  return (v6 ? "[" + o.master_host + "]" : o.master_host) + ":" + std::to_string(o.master_port);
}

std::string who(const DistributedOptions& o) {
  return "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

// Sums the gradients of all ranks in place: each rank's loss is summed over its slice of the batch,
// so the sum is exactly the gradient of the whole batch's loss, as one process would compute it.
class GradientAllReducer {
 public:
  explicit GradientAllReducer(c10::intrusive_ptr<c10d::ProcessGroup> group) : group_(std::move(group)) {}

  void operator()(std::vector<torch::Tensor>& grads) {
    if (planned_for_ != grads.size()) plan(grads);
    std::vector<c10::intrusive_ptr<c10d::Work>> work;
    for (auto& bucket : buckets_) {
      for (const auto& member : bucket.members)
        bucket.flat.narrow(0, member.offset, grads[member.index].numel()).copy_(grads[member.index].reshape(-1));
      std::vector<torch::Tensor> tensors{bucket.flat};
      work.push_back(group_->allreduce(tensors));
    }
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      work[b]->wait();
      for (const auto& member : buckets_[b].members) {
        auto& grad = grads[member.index];
        grad.copy_(buckets_[b].flat.narrow(0, member.offset, grad.numel()).view(grad.sizes()));
      }
    }
  }

 private:
  struct Member {
    std::size_t index;
    std::int64_t offset;
  };
  struct Bucket {
    torch::Tensor flat;
    std::vector<Member> members;
  };

  void plan(const std::vector<torch::Tensor>& grads) {
    buckets_.clear();
    std::vector<Member> members;
    std::int64_t size = 0;
    auto close = [&] {
      if (members.empty()) return;
      buckets_.push_back({torch::empty({size}, torch::kFloat), std::move(members)});
      members.clear();
      size = 0;
    };
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].scalar_type() != torch::kFloat)
        throw std::logic_error("data-parallel training expects float32 gradients");
      const std::int64_t n = grads[i].numel();
      if (size > 0 && (size + n) * std::int64_t{sizeof(float)} > kBucketBytes) close();
      members.push_back({i, size});
      size += n;
    }
    close();
    planned_for_ = grads.size();
  }

  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::vector<Bucket> buckets_;
  std::size_t planned_for_ = 0;
};

struct Connection {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

Connection connect(const DistributedOptions& o) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  Connection c;
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(o.master_port);
    store_options.isServer = o.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(o.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    c.store = c10::make_intrusive<c10d::TCPStore>(o.master_host, store_options);
  } catch (const std::exception& error) {
    throw DistributedError(who(o) + ": " +
                           (o.rank == 0 ? "the other processes did not all join at " + master_address(o)
                                        : "could not reach the master (rank 0) at " + master_address(o)) +
                           " within " + std::to_string(static_cast<int>(o.timeout_seconds)) + " s: " + reason(error));
  }
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // GLOO_SOCKET_IFNAME picks the network interface, as in PyTorch; on one machine, loopback.
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else if (is_loopback(o.master_host))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o.master_host));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = kGlooThreads;
    c.group = c10::make_intrusive<c10d::ProcessGroupGloo>(c.store, o.rank, o.world_size, options);
  } catch (const std::exception& error) {
    throw DistributedError(who(o) + ": connecting the processes (gloo, master " + master_address(o) +
                           ") failed: " + reason(error));
  }
  return c;
}

// What every rank must agree on, one "name: value" line each.
std::string describe_run(const TrainingSession& session, const DistributedOptions& o) {
  const auto& t = session.train_config();
  const auto& data = session.data();
  std::ostringstream out;
  out << "processes: " << o.world_size << "\n"
      << "model: " << session.model_config().describe() << "\n"
      << "batch per process: " << t.batch_size << "\n"
      << "learning rate: " << t.learning_rate << "\n"
      << "beta: " << t.beta << "\n"
      << "epochs: " << t.epochs << "\n"
      << "seed: " << t.seed << "\n"
      << "data: " << data.identity() << "\n"
      << "training images: " << data.train.count << "\n"
      << "starting step: " << session.step() << "\n";
  return out.str();
}

std::vector<std::uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

// Every rank publishes its description of the run; each compares with rank 0's (and rank 0 with
// everyone's), so a mismatch stops every process with the same clear message.
void check_same_run(c10d::Store& store, const TrainingSession& session, const DistributedOptions& o) {
  const std::string mine = describe_run(session, o);
  store.set(kFingerprintKey + std::to_string(o.rank), bytes(mine));
  auto compare = [&](int other_rank) {
    const auto theirs_bytes = store.get(kFingerprintKey + std::to_string(other_rank));
    const std::string theirs(theirs_bytes.begin(), theirs_bytes.end());
    if (theirs == mine) return;
    std::istringstream a(mine), b(theirs);
    std::string line_a, line_b;
    while (std::getline(a, line_a) && std::getline(b, line_b) && line_a == line_b) {
    }
    throw ConfigError(who(o) + ": rank " + std::to_string(other_rank) +
                      " trains another run (same data and options on every host, please): here '" + line_a +
                      "', there '" + line_b + "'");
  };
  // A rank that finds a mismatch still says it has read rank 0's description before it stops, and
  // rank 0 (which hosts the store) waits for that, so every rank reports the mismatch itself.
  std::exception_ptr mismatch;
  try {
    if (o.rank == 0) {
      for (int r = 1; r < o.world_size; ++r) compare(r);
    } else {
      compare(0);
    }
  } catch (const ConfigError&) {
    mismatch = std::current_exception();
  }
  store.set(kCheckedKey + std::to_string(o.rank), bytes("read"));
  if (o.rank == 0) {
    std::vector<std::string> keys;
    for (int r = 1; r < o.world_size; ++r) keys.push_back(kCheckedKey + std::to_string(r));
    store.wait(keys);
  }
  if (mismatch) std::rethrow_exception(mismatch);
}

// Rank 0's weights for everyone: the same seed gives the same initial weights anyway, but this
// costs one message and rules out any difference between hosts' libraries.
void broadcast_weights(c10d::ProcessGroup& group, TrainingSession& session) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights;
  for (const auto& [name, weight] : named_weights(session.model())) weights.push_back(weight.detach());
  if (weights.empty()) return;
  auto flat = torch::cat([&] {
    std::vector<torch::Tensor> parts;
    for (const auto& w : weights) parts.push_back(w.reshape(-1));
    return parts;
  }());
  std::vector<torch::Tensor> tensors{flat};
  c10d::BroadcastOptions options;
  options.rootRank = 0;
  group.broadcast(tensors, options)->wait();
  std::int64_t offset = 0;
  for (auto& w : weights) {
    w.copy_(flat.narrow(0, offset, w.numel()).view(w.sizes()));
    offset += w.numel();
  }
}

Snapshot picture(const TrainingSession& session, const DistributedOptions& o, TrainerState state, bool with_model) {
  Snapshot snap;
  snap.state = state;
  snap.model_config = session.model_config();
  snap.train_config = session.train_config();
  snap.step = session.step();
  snap.epoch = session.epoch();
  snap.steps_per_epoch = session.steps_per_epoch();
  snap.step_in_epoch = session.step_in_epoch();
  snap.samples_per_sec = session.samples_per_sec();  // the whole run's: the metric reducer sums examples
  if (snap.samples_per_sec > 0 && state == TrainerState::Running) {
    const double steps_left =
        double(session.train_config().epochs - session.epoch()) * session.steps_per_epoch() - session.step_in_epoch();
    snap.eta_seconds =
        std::max(0.0, steps_left) * session.train_config().batch_size * o.world_size / snap.samples_per_sec;
  }
  snap.history = session.history();
  snap.train_seconds = session.train_seconds();
  snap.train_examples = session.train_examples();
  snap.kl_per_dim = session.kl_per_dim();
  if (with_model) snap.model = session.freeze();
  return snap;
}

void save(const TrainingSession& session, const DistributedOptions& o, const std::string& path) {
  Checkpoint checkpoint = session.make_checkpoint();
  // The step's whole batch: what the optimiser saw, and what a single process resumes with.
  checkpoint.train_config.batch_size *= o.world_size;
  save_checkpoint(checkpoint, path);
}

}  // namespace

void DistributedOptions::validate() const {
  if (world_size < 1 || world_size > 4096)
    throw ConfigError("--world-size " + std::to_string(world_size) + ": expected 1..4096 processes");
  if (rank < 0 || rank >= world_size)
    throw ConfigError("--rank " + std::to_string(rank) + ": expected 0.." + std::to_string(world_size - 1) +
                      " for --world-size " + std::to_string(world_size));
  if (master_host.empty()) throw ConfigError("--master: the host is empty");
  if (master_port < 1 || master_port > 65535)
    throw ConfigError("--master: port " + std::to_string(master_port) + " is not in 1..65535");
  if (!(timeout_seconds >= 1 && timeout_seconds <= 86400))
    throw ConfigError("--timeout " + std::to_string(timeout_seconds) + ": expected 1..86400 seconds");
}

void parse_master_address(const std::string& text, DistributedOptions& options) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw ConfigError("--master '" + text + "': expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      throw ConfigError("--master '" + text + "': expected HOST:PORT, e.g. 10.0.0.5:29500");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw ConfigError("--master '" + text + "': the host is empty");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError("--master '" + text + "': the port is not a number");
  const int number = std::stoi(port);
  if (number < 1 || number > 65535) throw ConfigError("--master '" + text + "': port must be 1..65535");
  options.master_host = host;
  options.master_port = number;
}

Snapshot train_data_parallel(const DistributedJob& job, const DistributedOptions& o) {
  o.validate();
  if (!job.data || (job.model == nullptr) == (job.resume == nullptr))
    throw std::invalid_argument("train_data_parallel: give data and exactly one of model and resume");
  auto session = job.resume ? std::make_unique<TrainingSession>(job.data, *job.resume, job.train)
                            : std::make_unique<TrainingSession>(job.data, *job.model, job.train);
  session->set_shard(o.rank, o.world_size);

  Connection connection = connect(o);
  try {
    check_same_run(*connection.store, *session, o);
    broadcast_weights(*connection.group, *session);
    session->set_gradient_reducer(GradientAllReducer(connection.group));
    session->set_metric_reducer([group = connection.group](std::vector<double>& sums) {
      std::vector<torch::Tensor> tensors{torch::tensor(sums, torch::kDouble)};
      group->allreduce(tensors)->wait();
      const auto values = tensors[0].accessor<double, 1>();
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = values[static_cast<std::int64_t>(i)];
    });
    const bool leader = o.rank == 0;
    auto last_publish = Clock::now();
    const auto publish_interval = std::chrono::milliseconds(std::max(1, job.train.publish_interval_ms));
    while (!session->planned_epochs_done()) {
      const auto result = session->train_step();
      if (result == TrainingSession::StepResult::NonFinite) {
        Snapshot stopped = picture(*session, o, TrainerState::Paused, true);
        stopped.message = "the loss or its gradient became NaN/Inf at step " + std::to_string(session->step() + 1) +
                          " on some process; every process restored the weights of step " +
                          std::to_string(session->last_good_step()) +
                          ". Lower the learning rate or check the data, then resume.";
        if (leader && !job.checkpoint_path.empty()) {
          save(*session, o, job.checkpoint_path);
          stopped.message += " Saved them to " + job.checkpoint_path + ".";
        }
        stopped.message_is_error = true;
        stopped.message_id = 1;
        return stopped;
      }
      if (session->epoch_complete()) {
        if (leader) {
          session->evaluate_epoch(nullptr);
          if (!job.checkpoint_path.empty()) save(*session, o, job.checkpoint_path);
        } else {
          session->close_epoch_unevaluated();
        }
      }
      const auto now = Clock::now();
      if (leader && job.progress && (now - last_publish >= publish_interval || session->step_in_epoch() == 0)) {
        job.progress(picture(*session, o,
                             session->planned_epochs_done() ? TrainerState::Finished : TrainerState::Running, false));
        last_publish = now;
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw DistributedError(who(o) + ": lost the other processes at step " + std::to_string(session->step() + 1) + " (" +
                           reason(error) + "); stopping. " +
                           (job.checkpoint_path.empty() || o.rank != 0
                                ? std::string("Rank 0's last checkpoint is intact.")
                                : "The last checkpoint, " + job.checkpoint_path + ", is intact."));
  }
  return picture(*session, o, TrainerState::Finished, true);
}

}  // namespace vae
