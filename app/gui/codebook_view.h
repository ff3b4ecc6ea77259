#pragma once
// What Latent space shows for a model with discrete codes (VQ-VAE): the codebook's entries in
// the plane of their first two principal components, sized by how often the encoded test set
// uses them, with the codes of the grid being edited (Explorer::codes) ringed. The PCA runs off
// the UI thread whenever the weights the pictures follow change.
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

namespace vae::gui {

struct PanelContext;

class CodebookView {
 public:
  explicit CodebookView(PanelContext& context) : ctx_(context) {}
  ~CodebookView();  // waits for a PCA under way
  CodebookView(const CodebookView&) = delete;
  CodebookView& operator=(const CodebookView&) = delete;

  void draw();

 private:
  struct Points {
    std::vector<float> xy;  // 2 per codebook entry
    int code_dim = 0;
  };
  void refresh();

  PanelContext& ctx_;
  std::future<std::shared_ptr<const Points>> pending_;
  std::shared_ptr<const Points> points_;
  std::uint64_t points_key_ = ~0ull;
  std::vector<double> usage_;
  std::uint64_t usage_serial_ = ~0ull;
};

}  // namespace vae::gui
