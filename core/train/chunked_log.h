#pragma once
// An append-only sequence whose copies share their elements: the metric history of a long run
// (10^6 steps) is published in every snapshot, and copying it each time would cost O(steps) per
// publication and O(steps) memory per snapshot alive. Elements live in fixed-size chunks held by
// shared_ptr; a copy takes the chunk pointers and its own element count (O(steps / ChunkSize)
// pointer copies), never the elements.
//
// Sharing rule, which makes the copies safe across threads: only the log that created a chunk (its
// owner) constructs elements in it, and only past every copy's count, so an element a copy can
// see is never written again. A copy that appends first clones the partly filled last chunk. The
// owner hands its copies to other threads through something that orders memory (the trainer's
// atomic snapshot pointer), as with any immutable snapshot.
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace vae {

// A random-access iterator over anything indexed by operator[] (ChunkedLog, StepHistory): it
// holds the container and an index, so it stays valid while the container appends.
template <typename Container, typename T>
class IndexIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = const T*;
  using reference = const T&;

  IndexIterator() = default;
  IndexIterator(const Container* container, std::size_t index) : container_(container), index_(index) {}
  reference operator*() const { return (*container_)[index_]; }
  pointer operator->() const { return &(*container_)[index_]; }
  reference operator[](difference_type n) const { return (*container_)[std::size_t(difference_type(index_) + n)]; }
  IndexIterator& operator++() { return ++index_, *this; }
  IndexIterator operator++(int) { return IndexIterator(container_, index_++); }
  IndexIterator& operator--() { return --index_, *this; }
  IndexIterator operator--(int) { return IndexIterator(container_, index_--); }
  IndexIterator& operator+=(difference_type n) { return index_ = std::size_t(difference_type(index_) + n), *this; }
  IndexIterator& operator-=(difference_type n) { return *this += -n; }
  friend IndexIterator operator+(IndexIterator it, difference_type n) { return it += n; }
  friend IndexIterator operator+(difference_type n, IndexIterator it) { return it += n; }
  friend IndexIterator operator-(IndexIterator it, difference_type n) { return it -= n; }
  friend difference_type operator-(const IndexIterator& a, const IndexIterator& b) {
    return difference_type(a.index_) - difference_type(b.index_);
  }
  friend bool operator==(const IndexIterator& a, const IndexIterator& b) { return a.index_ == b.index_; }
  friend bool operator!=(const IndexIterator& a, const IndexIterator& b) { return a.index_ != b.index_; }
  friend bool operator<(const IndexIterator& a, const IndexIterator& b) { return a.index_ < b.index_; }
  friend bool operator>(const IndexIterator& a, const IndexIterator& b) { return a.index_ > b.index_; }
  friend bool operator<=(const IndexIterator& a, const IndexIterator& b) { return a.index_ <= b.index_; }
  friend bool operator>=(const IndexIterator& a, const IndexIterator& b) { return a.index_ >= b.index_; }

 private:
  const Container* container_ = nullptr;
  std::size_t index_ = 0;
};

template <typename T, std::size_t ChunkSize>
class ChunkedLog {
  static_assert(ChunkSize > 0, "chunks hold at least one element");

  // Raw storage for ChunkSize elements, constructed in order by the owner of the chunk. Untouched
  // storage costs address space only (the allocator maps pages lazily).
  class Chunk {
   public:
    Chunk() : storage_(static_cast<T*>(::operator new(sizeof(T) * ChunkSize, std::align_val_t(alignof(T))))) {}
    ~Chunk() {
      for (std::size_t i = 0; i < constructed_; ++i) storage_[i].~T();
      ::operator delete(storage_, std::align_val_t(alignof(T)));
    }
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    const T& operator[](std::size_t i) const { return storage_[i]; }
    std::size_t constructed() const { return constructed_; }
    template <typename U>
    void append(U&& value) {
      new (storage_ + constructed_) T(std::forward<U>(value));
      ++constructed_;
    }

   private:
    T* storage_;
    std::size_t constructed_ = 0;  // read and written by the owner only (and the destructor)
  };

 public:
  using value_type = T;
  using size_type = std::size_t;
  static constexpr std::size_t kChunkSize = ChunkSize;

  using const_iterator = IndexIterator<ChunkedLog, T>;
  using iterator = const_iterator;

  ChunkedLog() = default;
  ChunkedLog(std::initializer_list<T> values) {
    for (const auto& v : values) push_back(v);
  }
  // A copy shares every chunk and owns none: its first append clones the last, partly filled one.
  ChunkedLog(const ChunkedLog& other) : chunks_(other.chunks_), size_(other.size_), owns_last_(false) {}
  ChunkedLog(ChunkedLog&& other) noexcept
      : chunks_(std::move(other.chunks_)), size_(other.size_), owns_last_(other.owns_last_) {
    other.chunks_.clear();
    other.size_ = 0;
    other.owns_last_ = true;
  }
  ChunkedLog& operator=(const ChunkedLog& other) {
    if (this != &other) {
      chunks_ = other.chunks_;
      size_ = other.size_;
      owns_last_ = false;
    }
    return *this;
  }
  ChunkedLog& operator=(ChunkedLog&& other) noexcept {
    if (this != &other) {
      chunks_ = std::move(other.chunks_);
      size_ = other.size_;
      owns_last_ = other.owns_last_;
      other.chunks_.clear();
      other.size_ = 0;
      other.owns_last_ = true;
    }
    return *this;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const { return (*chunks_[i / ChunkSize])[i % ChunkSize]; }
  const T& at(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("ChunkedLog::at");
    return (*this)[i];
  }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }
  // Chunks referenced: what a copy costs.
  std::size_t chunk_count() const { return chunks_.size(); }

  void push_back(const T& value) { emplace(value); }
  void push_back(T&& value) { emplace(std::move(value)); }
  // Drops this log's references; copies keep what they saw.
  void clear() {
    chunks_.clear();
    size_ = 0;
    owns_last_ = true;
  }

 private:
  template <typename U>
  void emplace(U&& value) {
    const std::size_t offset = size_ % ChunkSize;
    if (offset == 0) {
      chunks_.push_back(std::make_shared<Chunk>());
      owns_last_ = true;
    } else if (!owns_last_ || chunks_.back()->constructed() != offset) {
      // Shared with the log this one was copied from, which may still append to it: clone what
      // this log sees of it.
      auto clone = std::make_shared<Chunk>();
      for (std::size_t i = 0; i < offset; ++i) clone->append((*chunks_.back())[i]);
      chunks_.back() = std::move(clone);
      owns_last_ = true;
    }
    chunks_.back()->append(std::forward<U>(value));
    ++size_;
  }

  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::size_t size_ = 0;
  bool owns_last_ = true;  // whether this log created (and alone appends to) the last chunk
};

}  // namespace vae
