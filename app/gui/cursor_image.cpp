#include "app/gui/cursor_image.h"

#include <ctime>

#include "app/gui/explorer.h"
#include "app/gui/logic/decode_worker.h"
#include "app/gui/logic/hash.h"
#include "app/gui/messages.h"

namespace vae::gui {

namespace {
// Decodes of one image that took longer than this go to the worker from then on.
constexpr double kSameFrameBudget = 0.004;

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
}  // namespace

CursorImage::CursorImage(DecodeWorker& worker, MessageLog& messages)
    : worker_(worker), messages_(messages), slot_(worker.add_slot()) {}

void CursorImage::refresh(const Explorer& explorer) {
  if (auto done = worker_.take(slot_)) {
    decode_seconds_ = done->seconds;
    if (done->error.empty()) {
      texture_.upload_rgba(done->rgba.data(), done->image.width, done->image.height);
      last_error_.clear();
    } else if (done->error != last_error_) {
      messages_.report("Decoding failed: " + done->error, true);
      last_error_ = done->error;
    }
  }
  const auto& inference = explorer.inference();
  if (!inference || explorer.z().empty()) return;
  const std::uint64_t key = hash_mix(explorer.model_serial(), explorer.z_serial());
  if (key == key_) return;
  key_ = key;
  if (decode_seconds_ <= kSameFrameBudget) {
    // The UI thread's own CPU time: on a busy machine wall time would count the time others ran.
    const double t0 = thread_seconds();
    try {
      texture_.upload(inference->decode_one(explorer.z()));
      last_error_.clear();
    } catch (const std::exception& e) {
      if (e.what() != last_error_) messages_.report(std::string("Decoding failed: ") + e.what(), true);
      last_error_ = e.what();
    }
    decode_seconds_ = thread_seconds() - t0;
  } else {
    worker_.submit(slot_, key, [inference, z = explorer.z()](const CancelToken&) { return inference->decode_one(z); });
  }
}

}  // namespace vae::gui
