#include "records/record_fields.h"

#include "util/error.h"

namespace gram::records {

using nlohmann::json;

void Fields::fail(const std::string& what) const { throw Error(where_ + ": " + what); }

bool Fields::has(const std::string& name) const {
  return object_.contains(name) && !object_.at(name).is_null();
}

const json& Fields::require(const std::string& name) const {
  if (!object_.contains(name)) fail("missing field '" + name + "'");
  return object_.at(name);
}

std::string Fields::string(const std::string& name) const {
  const json& value = require(name);
  if (!value.is_string()) fail("field '" + name + "' must be a string");
  return value.get<std::string>();
}

std::string Fields::text_or_unknown(const std::string& name) const {
  if (!has(name)) return "?";
  const json& value = object_.at(name);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

double Fields::number(const std::string& name) const {
  const json& value = require(name);
  if (!value.is_number()) fail("field '" + name + "' must be a number");
  return value.get<double>();
}

double Fields::non_negative(const std::string& name) const {
  const double value = number(name);
  if (value < 0) fail("field '" + name + "' must be >= 0");
  return value;
}

std::optional<double> Fields::optional_number(const std::string& name) const {
  if (!has(name)) return std::nullopt;
  return number(name);
}

std::int64_t Fields::integer(const std::string& name, std::int64_t minimum) const {
  const json& value = require(name);
  if (!value.is_number_integer()) fail("field '" + name + "' must be an integer");
  const std::int64_t result = value.get<std::int64_t>();
  if (result < minimum) {
    fail("field '" + name + "' must be >= " + std::to_string(minimum) + ", got " +
         std::to_string(result));
  }
  return result;
}

bool Fields::boolean(const std::string& name) const {
  const json& value = require(name);
  if (!value.is_boolean()) fail("field '" + name + "' must be true or false");
  return value.get<bool>();
}

const json& Fields::object(const std::string& name) const {
  const json& value = require(name);
  if (!value.is_object()) fail("field '" + name + "' must be an object");
  return value;
}

}  // namespace gram::records
