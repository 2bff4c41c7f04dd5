#pragma once
// Exact graph colouring search for graphs of up to 32 nodes: counting labelled colourings and
// finding one.
//
// Colourings are labelled: swapping two colours gives a different solution, so a triangle has
// 3! = 6 colourings with 3 colours. The search still explores only one colouring per colour
// relabelling: a node takes either a colour already in use or the first unused one, and the
// latter branch is weighted by the number of unused colours it stands for.
#include <cstdint>
#include <vector>

namespace gram::tasks {

struct Graph {
  explicit Graph(int node_count) : nodes(node_count), neighbours(node_count, 0) {}
  bool has_edge(int a, int b) const { return (neighbours[a] >> b) & 1u; }
  void add_edge(int a, int b) {
    neighbours[a] |= 1u << b;
    neighbours[b] |= 1u << a;
  }

  int nodes;
  std::vector<std::uint32_t> neighbours;  // (nodes) bit b of entry a set when a-b is an edge
};

// Proper colourings with `colors` colours, counting stops at `cap`.
std::int64_t count_colorings(const Graph& graph, int colors, std::int64_t cap);

// One proper colouring (colour 0..colors-1 per node), or empty when there is none.
std::vector<int> find_coloring(const Graph& graph, int colors);

}  // namespace gram::tasks
