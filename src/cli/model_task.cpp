#include "cli/model_task.h"

#include "util/error.h"

namespace gram::cli {

std::unique_ptr<tasks::Task> model_task(const model::Model& model, const std::string& path) {
  try {
    return tasks::make_task(tasks::TaskSpec::parse(model.config.task));
  } catch (const Error& error) {
    throw Error(path + ": model config: " + error.what());
  }
}

}  // namespace gram::cli
