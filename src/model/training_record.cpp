#include "model/training_record.h"

#include "util/error.h"

namespace gram::model {

TrainingRecord training_record(const Model& model, const std::string& path) {
  TrainingRecord result;
  const auto found = model.metadata.find("gram_training");
  if (found == model.metadata.end()) return result;
  try {
    result.record = nlohmann::json::parse(found->second);
  } catch (const nlohmann::json::exception&) {
    throw Error(path + ": metadata 'gram_training' is not valid JSON");
  }
  if (!result.record.is_object()) {
    throw Error(path + ": metadata 'gram_training' must be a JSON object");
  }
  if (result.record.contains("training_flops")) {
    const auto& flops = result.record["training_flops"];
    if (!flops.is_number() || !(flops.get<double>() > 0.0)) {
      throw Error(path + ": metadata 'gram_training' field 'training_flops' must be a positive "
                         "number, got " + flops.dump());
    }
    result.flops = flops.get<double>();
  }
  return result;
}

}  // namespace gram::model
