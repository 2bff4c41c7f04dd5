#pragma once
// The sampler keys that `gram run` and `gram sweep` share (engine/sampler.h): where injected
// noise goes and how it scales, where dropout masks go. One set of table rows for both configs,
// so their names, parsers and help text cannot drift apart. A config that uses them declares
// the members below under these names.
//
//   std::string noise_mode;                  absolute | relative
//   std::vector<std::string> noise_at;       any of h, l
//   std::vector<std::string> dropout_at;     any of h, l
//   std::vector<std::string> dropout_sites;  any of mixer, ffn
//   std::vector<int> dropout_layers;         layer indices; empty = every layer
#include <set>
#include <string>
#include <vector>

#include "config/config_table.h"

namespace gram::config {

template <class Config>
Field<Config> int_list_field(std::string name, std::vector<int> Config::*member, int minimum,
                             std::string help) {
  return {name, "list", std::move(help),
          [member](const Config& c) {
            std::vector<std::string> items;
            for (int value : c.*member) items.push_back(std::to_string(value));
            return join(items, ",");
          },
          [member, name, minimum](Config& c, const std::string& text) {
            std::vector<int> values;
            for (const auto& item : parse_list(name, text)) {
              values.push_back(parse_int(name, item, minimum));
            }
            c.*member = std::move(values);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

// The shared rows, in the order both tables list them.
template <class Config>
std::vector<Field<Config>> sampler_site_fields() {
  return {
      choice_field<Config>("noise_mode", &Config::noise_mode, {"absolute", "relative"},
                           "sampler noise: absolute (eps x scale) or relative (eps x scale x the "
                           "state's RMS over the position's channels)"),
      list_field<Config>("noise_at", &Config::noise_at, {"h", "l"}, "update",
                         "sampler noise: after each H update (on h), after each L update (on l)"),
      list_field<Config>("dropout_at", &Config::dropout_at, {"h", "l"}, "update",
                         "sampler dropout: in F_H's (h) and/or F_L's (l) network applications"),
      list_field<Config>("dropout_sites", &Config::dropout_sites, {"mixer", "ffn"}, "site",
                         "sampler dropout: on the mixer's and/or the FFN's output, before the "
                         "residual add"),
      int_list_field<Config>("dropout_layers", &Config::dropout_layers, 0,
                             "sampler dropout: layer indices (empty = every layer)"),
  };
}

// Each list names an item once; throws gram::Error naming the key.
template <class Config>
void check_sampler_sites(const Config& config) {
  auto unique = [](const std::string& key, const auto& items) {
    std::set<typename std::decay_t<decltype(items)>::value_type> seen;
    for (const auto& item : items) {
      if (!seen.insert(item).second) throw Error("config: '" + key + "' names an item twice");
    }
  };
  unique("noise_at", config.noise_at);
  unique("dropout_at", config.dropout_at);
  unique("dropout_sites", config.dropout_sites);
  unique("dropout_layers", config.dropout_layers);
}

}  // namespace gram::config
