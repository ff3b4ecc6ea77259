#include "app/gui/density_scoring.h"

#include <algorithm>

#include "app/gui/background_task.h"
#include "core/errors.h"

namespace vae::gui {

ScoringJob::ScoringJob(Request request) : start_(std::chrono::steady_clock::now()) {
  result_ = start_background_task("vae-density", [this, r = std::move(request)] { return run(r); });
}

std::shared_ptr<const Scored> ScoringJob::run(const Request& r) {
  auto out = std::make_shared<Scored>();
  out->has_second = bool(r.second);
  out->model_serial = r.model_serial;
  out->epoch = r.epoch;
  out->dims = r.test_data->image_size();
  const std::shared_ptr<const Dataset> data[2] = {r.test_data, r.second};
  const int sets = r.second ? 2 : 1;
  std::size_t total = 0, done = 0;
  auto counted = [&](const Dataset& d) {
    return r.options.limit ? std::min(r.options.limit, d.test.count) : d.test.count;
  };
  for (int s = 0; s < sets; ++s) total += counted(*data[s]);
  for (int s = 0; s < sets; ++s) {
    stage_ = s;
    const Dataset& d = *data[s];
    if (d.test.count == 0) throw DataError(d.spec + ": holds no images to score");
    if (d.image_size() != out->dims)
      throw ConfigError(d.spec + ": images of " + std::to_string(d.channels) + "x" + std::to_string(d.height) + "x" +
                        std::to_string(d.width) + " do not fit the model's " + std::to_string(r.test_data->channels) +
                        "x" + std::to_string(r.test_data->height) + "x" + std::to_string(r.test_data->width));
    const std::size_t n = counted(d);
    OodScoreOptions options = r.options;
    options.cancel = &cancel_;
    options.progress = [&](double f) {
      fraction_ = (double(done) + f * double(n)) / double(std::max<std::size_t>(1, total));
    };
    ScoredSet& set = out->sets[s];
    set.data = data[s];
    set.name = s == 0 ? d.name + " test set" : r.second_name;
    set.scores = score_examples(*r.inference->model(), d, d.test, options);
    out->iw_samples = set.scores.iw_samples;
    try {  // the gallery's click-to-cursor needs the posterior means; scores stand without them
      std::vector<int> labels;
      if (r.inference->capabilities().conditional && d.test.has_labels())
        labels.assign(d.test.labels.begin(), d.test.labels.begin() + std::ptrdiff_t(n));
      set.codes = r.inference->encode(d.test.pixels.data(), n, 500, labels);
    } catch (const std::exception&) {
      set.codes = LatentCodes();
    }
    done += n;
    if (cancel_) throw Error("scoring cancelled");
  }
  out->seconds = elapsed();
  return out;
}

}  // namespace vae::gui
