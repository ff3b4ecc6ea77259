#include "app/gui/logic/decode_worker.h"

#include <ctime>
#include <exception>

#include "app/gui/logic/rgba.h"
#include "core/runtime/thread_priority.h"

namespace vae::gui {

namespace {
// CPU time of the calling thread: what a job cost, whatever else the machine was running.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
}  // namespace

DecodeWorker::DecodeWorker() : thread_([this] { run(); }) {}

DecodeWorker::~DecodeWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    for (auto& [id, slot] : slots_) {
      if (slot.running_cancel) slot.running_cancel->store(true);
      slot.job = nullptr;
    }
  }
  wake_.notify_all();
  thread_.join();
}

int DecodeWorker::add_slot() {
  std::lock_guard<std::mutex> lock(mutex_);
  const int id = next_slot_++;
  slots_[id];
  return id;
}

void DecodeWorker::submit(int slot_id, std::uint64_t key, Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& slot = slots_[slot_id];
    if (slot.job) replaced_++;
    if (slot.running && slot.running_cancel) slot.running_cancel->store(true);
    slot.job = std::move(job);
    slot.key = key;
    slot.order = next_order_++;
  }
  wake_.notify_one();
}

std::optional<Decoded> DecodeWorker::take(int slot_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = slots_.find(slot_id);
  if (it == slots_.end() || !it->second.result) return std::nullopt;
  if (results_per_frame_ > 0 && handed_out_ >= frame_limit_) {
    held_back_ = true;
    return std::nullopt;
  }
  std::optional<Decoded> out = std::move(it->second.result);
  it->second.result.reset();
  ++handed_out_;
  return out;
}

bool DecodeWorker::busy(int slot_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = slots_.find(slot_id);
  return it != slots_.end() && (it->second.job || it->second.running);
}

void DecodeWorker::run() {
  name_this_thread("vae-decoder");
  enter_background_priority();  // pictures wait for the UI thread, not the other way round
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] {
      if (stop_) return true;
      for (const auto& [id, slot] : slots_)
        if (slot.job) return true;
      return false;
    });
    if (stop_) return;
    // The oldest waiting request, so that no panel starves the others.
    int chosen = -1;
    std::uint64_t oldest = ~0ull;
    for (const auto& [id, slot] : slots_) {
      if (slot.job && slot.order < oldest) oldest = slot.order, chosen = id;
    }
    Slot& slot = slots_[chosen];
    Job job = std::move(slot.job);
    slot.job = nullptr;
    const std::uint64_t key = slot.key;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    slot.running = true;
    slot.running_cancel = cancel;
    lock.unlock();

    Decoded out;
    out.key = key;
    bool was_cancelled = false;
    const double t0 = thread_cpu_seconds();
    try {
      out.image = job(CancelToken(cancel));
      if (!cancel->load()) out.rgba = to_rgba8(out.image);
    } catch (const Cancelled&) {
      was_cancelled = true;
    } catch (const std::exception& e) {
      out.error = e.what();
      if (out.error.empty()) out.error = "unknown error";
    } catch (...) {
      out.error = "unknown error";
    }
    out.seconds = thread_cpu_seconds() - t0;
    busy_us_ += std::uint64_t(out.seconds * 1e6);
    job = nullptr;  // release what the job captured (model, data) outside the lock's critical path

    lock.lock();
    Slot& done = slots_[chosen];
    done.running = false;
    done.running_cancel.reset();
    if (was_cancelled || cancel->load()) {
      cancelled_++;
    } else {
      done.result = std::move(out);
      completed_++;
    }
  }
}

}  // namespace vae::gui
