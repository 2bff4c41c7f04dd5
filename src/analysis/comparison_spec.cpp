#include "analysis/comparison_spec.h"

#include <cctype>
#include <vector>

#include "util/error.h"

namespace gram::analysis {
namespace {

std::string trimmed(const std::string& text) {
  std::size_t first = 0, last = text.size();
  while (first < last && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  while (last > first && std::isspace(static_cast<unsigned char>(text[last - 1]))) --last;
  return text.substr(first, last - first);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(trimmed(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return parts;
}

ComparisonSide parse_side(const std::string& side, const std::string& entry) {
  const auto bad = [&](const std::string& why) {
    return Error("config: comparison '" + entry + "': '" + side + "' " + why);
  };
  const std::vector<std::string> parts = split(side, '/');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    throw bad("is not model/strategy/aggregator");
  }
  ComparisonSide result{parts[0], parts[1], 0, parts[2]};
  if (result.strategy.rfind("grid:", 0) == 0) {
    const std::string count = result.strategy.substr(5);
    if (count.empty() || count.size() > 9 ||
        count.find_first_not_of("0123456789") != std::string::npos || std::stoll(count) < 1) {
      throw bad("names grid:N without a whole N >= 1");
    }
    result.strategy = "grid";
    result.width = std::stoll(count);
  } else if (result.strategy != "width" && result.strategy != "depth") {
    throw bad("has strategy '" + result.strategy + "' (expected width, depth or grid:N)");
  }
  return result;
}

}  // namespace

std::string ComparisonSide::label() const {
  return model + "/" + (strategy == "grid" ? "grid:" + std::to_string(width) : strategy) + "/" +
         aggregator;
}

std::string ComparisonSpec::text() const { return a.label() + " vs " + b.label(); }

ComparisonSpec parse_comparison(const std::string& text) {
  const std::size_t at = text.find(" vs ");
  if (at == std::string::npos || text.find(" vs ", at + 4) != std::string::npos) {
    throw Error("config: comparison '" + text + "' is not 'A vs B' (each side "
                "model/strategy/aggregator)");
  }
  ComparisonSpec spec{parse_side(trimmed(text.substr(0, at)), text),
                      parse_side(trimmed(text.substr(at + 4)), text)};
  if (spec.a.label() == spec.b.label()) {
    throw Error("config: comparison '" + text + "' compares a method with itself");
  }
  return spec;
}

}  // namespace gram::analysis
