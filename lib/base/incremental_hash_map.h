// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// IncrementalHashMap: a hash map that grows without stopping.
//
// A Swiss table grows by rehashing every entry into a table twice the size,
// inside the insert that crossed its load limit. For the working set's big
// maps (a million messages, conversations, tasks) that one insert takes tens
// of milliseconds, under the tenant's lock, and every command of the tenant
// waits for it: the tail of a latency histogram, not its middle. The maps
// keyed by message grow together, so their rehashes even fall on the same
// insert.
//
// This map keeps two tables. When the active one is about to grow (or to
// rehash in place to drop its tombstones), it becomes the draining table and
// a new active table, sized for twice the entries, takes its place; each
// later insert then moves a few entries across, so the cost of the rehash
// is spread over the inserts that caused it. Lookups look in both tables.
// Memory at the peak is what a Swiss table's own resize needs (both arrays
// at once), held a little longer.
//
// Underneath is any absl map with node handles: absl::flat_hash_map, or
// absl::node_hash_map when values must not move (a node is handed across
// whole, so pointers to values stay valid through a migration).
//
// Invalidation: as for the underlying map, an insert may invalidate
// iterators and, for flat maps, references; erase invalidates only what it
// erases. Iteration order is unspecified and sees every entry once.
//
// Thread-compatible.

#ifndef OMNIROUTE_LIB_BASE_INCREMENTAL_HASH_MAP_H_
#define OMNIROUTE_LIB_BASE_INCREMENTAL_HASH_MAP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

namespace omniroute::base {

template <typename Map>
class IncrementalHashMap {
 public:
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using value_type = typename Map::value_type;
  using size_type = size_t;

  // Tables smaller than this grow the ordinary way: their rehash is short.
  static constexpr size_t kMinIncrementalCapacity = 4095;
  // Entries moved to the active table by each insert during a migration.
  // With 4, a migration ends after a quarter as many inserts as there were
  // entries, so the new table (sized for twice the entries) never fills up
  // before the old one is empty.
  static constexpr size_t kMovesPerInsert = 4;

  template <bool kConst>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = typename Map::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;

    Iterator() = default;
    // A const iterator from a mutable one.
    template <bool kOtherConst, typename = std::enable_if_t<kConst && !kOtherConst>>
    Iterator(const Iterator<kOtherConst>& other)  // NOLINT: implicit, as std's.
        : owner_(other.owner_), in_draining_(other.in_draining_), inner_(other.inner_) {}

    reference operator*() const { return *inner_; }
    pointer operator->() const { return &*inner_; }
    Iterator& operator++() {
      ++inner_;
      SkipEmptyDraining();
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      // Iterators of different tables never compare equal (and absl may
      // check that compared iterators share a table).
      return a.in_draining_ == b.in_draining_ && a.inner_ == b.inner_;
    }
    friend bool operator!=(const Iterator& a, const Iterator& b) { return !(a == b); }

   private:
    friend class IncrementalHashMap;
    template <bool>
    friend class Iterator;
    using Owner = std::conditional_t<kConst, const IncrementalHashMap, IncrementalHashMap>;
    using Inner =
        std::conditional_t<kConst, typename Map::const_iterator, typename Map::iterator>;

    Iterator(Owner* owner, bool in_draining, Inner inner)
        : owner_(owner), in_draining_(in_draining), inner_(inner) {
      SkipEmptyDraining();
    }
    // The end of the draining table continues at the active table's start.
    void SkipEmptyDraining() {
      if (in_draining_ && inner_ == owner_->draining_.end()) {
        in_draining_ = false;
        inner_ = owner_->active_.begin();
      }
    }

    Owner* owner_ = nullptr;
    bool in_draining_ = false;
    Inner inner_{};
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  IncrementalHashMap() = default;
  IncrementalHashMap(IncrementalHashMap&& other) noexcept { *this = std::move(other); }
  IncrementalHashMap& operator=(IncrementalHashMap&& other) noexcept {
    active_ = std::move(other.active_);
    draining_ = std::move(other.draining_);
    // The entries still to move are wherever the walk finds them first.
    cursor_ = draining_.empty() ? typename Map::iterator() : draining_.begin();
    active_inserts_ = other.active_inserts_;
    active_budget_ = other.active_budget_;
    other.clear();
    return *this;
  }
  IncrementalHashMap(const IncrementalHashMap&) = delete;
  IncrementalHashMap& operator=(const IncrementalHashMap&) = delete;

  iterator begin() { return iterator(this, true, draining_.begin()); }
  iterator end() { return iterator(this, false, active_.end()); }
  const_iterator begin() const { return const_iterator(this, true, draining_.begin()); }
  const_iterator end() const { return const_iterator(this, false, active_.end()); }

  size_t size() const { return active_.size() + draining_.size(); }
  bool empty() const { return size() == 0; }
  // Slots held by both tables (what ShrinkWhenSparse compares with size()).
  size_t capacity() const { return active_.capacity() + draining_.capacity(); }
  // Whether entries are still being moved to the active table.
  bool migrating() const { return !draining_.empty(); }

  iterator find(const key_type& key) {
    if (auto it = active_.find(key); it != active_.end()) return iterator(this, false, it);
    if (!draining_.empty()) {
      if (auto it = draining_.find(key); it != draining_.end()) return iterator(this, true, it);
    }
    return end();
  }
  const_iterator find(const key_type& key) const {
    if (auto it = active_.find(key); it != active_.end()) return const_iterator(this, false, it);
    if (!draining_.empty()) {
      if (auto it = draining_.find(key); it != draining_.end()) {
        return const_iterator(this, true, it);
      }
    }
    return end();
  }
  bool contains(const key_type& key) const {
    return find(key) != end();
  }
  // The value of `key`, which must be present (the underlying map's at()
  // reports a missing key).
  mapped_type& at(const key_type& key) {
    iterator it = find(key);
    return it != end() ? it->second : active_.at(key);
  }
  const mapped_type& at(const key_type& key) const {
    const_iterator it = find(key);
    return it != end() ? it->second : active_.at(key);
  }

  template <typename... Args>
  std::pair<iterator, bool> try_emplace(const key_type& key, Args&&... args) {
    PrepareInsert();
    if (!draining_.empty()) {
      if (auto it = draining_.find(key); it != draining_.end()) {
        return {iterator(this, true, it), false};
      }
    }
    auto [it, inserted] = active_.try_emplace(key, std::forward<Args>(args)...);
    if (inserted) ++active_inserts_;
    return {iterator(this, false, it), inserted};
  }
  template <typename V>
  std::pair<iterator, bool> emplace(const key_type& key, V&& value) {
    return try_emplace(key, std::forward<V>(value));
  }
  mapped_type& operator[](const key_type& key) { return try_emplace(key).first->second; }

  // Erases `key`; returns how many entries were erased (0 or 1).
  size_t erase(const key_type& key) {
    if (auto it = active_.find(key); it != active_.end()) {
      active_.erase(it);
      return 1;
    }
    if (draining_.empty()) return 0;
    auto it = draining_.find(key);
    if (it == draining_.end()) return 0;
    // The cursor must not point at an erased slot.
    if (it == cursor_) ++cursor_;
    draining_.erase(it);
    if (draining_.empty()) FinishMigration();
    return 1;
  }
  // Erases the entry at `pos`. Returns nothing, as absl's maps: finding
  // the next entry would mean a walk over the empty slots after `pos`,
  // which in a sparse table costs more than the erase (the matcher, which
  // erases a waiting task at every assignment, spent 40% of its time
  // there at 100k waiting tasks). To erase during a walk: erase(it++).
  void erase(iterator pos) {
    if (!pos.in_draining_) {
      active_.erase(pos.inner_);
      return;
    }
    // The cursor must not point at an erased slot.
    if (pos.inner_ == cursor_) ++cursor_;
    draining_.erase(pos.inner_);
    if (draining_.empty()) FinishMigration();
  }

  void clear() {
    active_.clear();
    draining_ = Map();
    cursor_ = typename Map::iterator();
    ResetBudget();
  }

  // Makes room for `n` entries without a rehash later (a rehash now, as
  // the underlying map's reserve: call it on an empty or small map).
  void reserve(size_t n) {
    FinishMigrationNow();
    active_.reserve(n);
    ResetBudget();
  }
  // rehash(0) frees the room a shrunken map no longer needs, as the
  // underlying map's: at once, finishing any migration first. Meant for a
  // map that fell far below its peak (see ShrinkWhenSparse), so what is
  // rehashed is a small share of what the table held.
  void rehash(size_t n) {
    FinishMigrationNow();
    active_.rehash(n);
    ResetBudget();
  }

 private:
  // How many inserts a table of this capacity takes before it must grow or
  // rehash in place. Each insert uses at most one slot of growth, whatever
  // the tombstones, so counting inserts is a safe lower bound. absl grows a
  // table at 7/8 of its capacity; one less keeps clear of rounding.
  static size_t Budget(size_t capacity) {
    size_t growth = capacity - capacity / 8;
    return growth > 0 ? growth - 1 : 0;
  }

  // active_ was just sized: it takes the rest of its growth in inserts.
  void ResetBudget() {
    const size_t budget = Budget(active_.capacity());
    active_inserts_ = 0;
    active_budget_ = budget - std::min(budget, active_.size());
  }

  void PrepareInsert() {
    if (!draining_.empty()) {
      MoveSome();
    } else if (active_.capacity() >= kMinIncrementalCapacity &&
               active_inserts_ >= active_budget_) {
      StartMigration();
      MoveSome();
    }
  }

  void StartMigration() {
    draining_ = std::move(active_);
    active_ = Map();
    // Twice the live entries: room for them all and for the inserts made
    // while they move, with half the table left to grow into afterwards.
    active_.reserve(std::max<size_t>(2 * draining_.size(), 16));
    ResetBudget();
    cursor_ = draining_.begin();
    if (draining_.empty()) FinishMigration();
  }

  void MoveSome() {
    for (size_t i = 0; i < kMovesPerInsert && cursor_ != draining_.end(); ++i) {
      auto node = draining_.extract(cursor_++);
      active_.insert(std::move(node));
      ++active_inserts_;
    }
    if (draining_.empty()) FinishMigration();
  }

  void FinishMigration() {
    draining_ = Map();
    cursor_ = typename Map::iterator();
  }
  void FinishMigrationNow() {
    while (!draining_.empty()) MoveSome();
  }

  Map active_;
  Map draining_;
  // The next entry of draining_ to move. Erase invalidates only the erased
  // slot's iterators, and nothing is ever inserted into draining_.
  typename Map::iterator cursor_{};
  // Inserts into active_ since it was last sized, and how many it takes
  // without a rehash.
  size_t active_inserts_ = 0;
  size_t active_budget_ = Budget(0);
};

}  // namespace omniroute::base

#endif  // OMNIROUTE_LIB_BASE_INCREMENTAL_HASH_MAP_H_
