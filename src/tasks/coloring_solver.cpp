#include "tasks/coloring_solver.h"

#include <algorithm>
#include <bit>

#include "util/error.h"

namespace gram::tasks {
namespace {

std::int64_t add_capped(std::int64_t total, std::int64_t value, std::int64_t cap) {
  return total >= cap - value ? cap : total + value;
}

std::int64_t multiply_capped(std::int64_t value, std::int64_t factor, std::int64_t cap) {
  return value > cap / factor ? cap : std::min(value * factor, cap);
}

class ColoringSearch {
 public:
  ColoringSearch(const Graph& graph, int colors, std::int64_t cap, bool record)
      : graph_(graph), colors_(colors), cap_(cap), record_(record), color_(graph.nodes, -1) {
    GRAM_ASSERT(graph.nodes >= 1 && graph.nodes <= 32, "node sets fit a 32-bit mask");
    GRAM_ASSERT(colors >= 1 && colors <= 32, "colour sets fit a 32-bit mask");
  }

  std::int64_t run() {
    if (cap_ <= 0) {
      return 0;
    }
    std::uint32_t all = graph_.nodes == 32 ? ~0u : (1u << graph_.nodes) - 1;
    return count(all, 0);
  }

  const std::vector<int>& found() const { return found_; }

 private:
  // Colours taken by the coloured neighbours of `node`.
  std::uint32_t forbidden(int node, std::uint32_t uncolored) const {
    std::uint32_t mask = 0;
    for (std::uint32_t rest = graph_.neighbours[node] & ~uncolored; rest != 0; rest &= rest - 1) {
      mask |= 1u << color_[std::countr_zero(rest)];
    }
    return mask;
  }

  int available(int node, std::uint32_t uncolored) const {
    return colors_ - std::popcount(forbidden(node, uncolored));
  }

  // Labelled completions of the current colouring; `used` colours (0..used-1) are in use.
  std::int64_t count(std::uint32_t uncolored, int used) {
    bool independent = true;
    for (std::uint32_t rest = uncolored; rest != 0; rest &= rest - 1) {
      if (graph_.neighbours[std::countr_zero(rest)] & uncolored) {
        independent = false;
        break;
      }
    }
    // No edges left among the uncolored nodes: each picks freely from its own free colours.
    if (independent) {
      std::int64_t product = 1;
      for (std::uint32_t rest = uncolored; rest != 0; rest &= rest - 1) {
        int free = available(std::countr_zero(rest), uncolored);
        if (free == 0) {
          return 0;
        }
        product = multiply_capped(product, free, cap_);
      }
      if (record_ && found_.empty()) {
        found_ = color_;
        for (std::uint32_t rest = uncolored; rest != 0; rest &= rest - 1) {
          int node = std::countr_zero(rest);
          found_[node] = std::countr_zero(~forbidden(node, uncolored));
        }
      }
      return product;
    }

    // Most constrained node first; among equals the one touching most uncolored nodes.
    int best = -1, best_free = colors_ + 1, best_degree = -1;
    for (std::uint32_t rest = uncolored; rest != 0; rest &= rest - 1) {
      int node = std::countr_zero(rest);
      int free = available(node, uncolored);
      int degree = std::popcount(graph_.neighbours[node] & uncolored);
      if (free < best_free || (free == best_free && degree > best_degree)) {
        best = node;
        best_free = free;
        best_degree = degree;
      }
    }
    if (best_free == 0) {
      return 0;
    }
    std::uint32_t blocked = forbidden(best, uncolored);
    std::uint32_t rest = uncolored & ~(1u << best);
    std::int64_t total = 0;
    for (int colour = 0; colour < used && total < cap_; ++colour) {
      if (!((blocked >> colour) & 1u)) {
        color_[best] = colour;
        total = add_capped(total, count(rest, used), cap_);
      }
    }
    if (used < colors_ && total < cap_) {
      // Any unused colour gives the same number of completions, up to relabelling.
      color_[best] = used;
      total = add_capped(total, multiply_capped(count(rest, used + 1), colors_ - used, cap_), cap_);
    }
    color_[best] = -1;
    return total;
  }

  const Graph& graph_;
  int colors_;
  std::int64_t cap_;
  bool record_;
  std::vector<int> color_;  // (nodes) colour of each coloured node, -1 while uncolored
  std::vector<int> found_;
};

}  // namespace

std::int64_t count_colorings(const Graph& graph, int colors, std::int64_t cap) {
  return ColoringSearch(graph, colors, cap, false).run();
}

std::vector<int> find_coloring(const Graph& graph, int colors) {
  ColoringSearch search(graph, colors, 1, true);
  search.run();
  return search.found();
}

}  // namespace gram::tasks
