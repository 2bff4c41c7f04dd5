#pragma once
// The task a loaded model was trained for, made from the spec in its config.
//
// The model library does not know the tasks, so a spec it loaded without complaint
// ("sudoku:7") is first checked here; the error names the model file it came from, as every
// other error about a model does.
#include <memory>
#include <string>

#include "model/weights.h"
#include "tasks/task.h"

namespace gram::cli {

std::unique_ptr<tasks::Task> model_task(const model::Model& model, const std::string& path);

}  // namespace gram::cli
