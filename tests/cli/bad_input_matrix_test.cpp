// The bad-input matrix of docs/errors.md, one test per row: every input the engine reads, spoilt
// in the ways it can be, given to the real `gram` executable. Each row must end the way a sweep
// on a cluster needs: no signal (no crash, no abort), a non-zero exit, and on stderr exactly one
// line "gram: error: ..." that names the file and, where there is one, the line or field.
//
// The rows build their bad inputs from good ones made once for the suite (a tiny model per
// task, a puzzle file per task), so each row spoils exactly one thing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "model/verifier.h"
#include "model/weights.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- running gram ---------------------------------------------------------------------------

struct Outcome {
  bool signaled = false;  // killed by a signal: a crash or an abort
  int signal = 0;
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs gram with `arguments` (no shell: a path with spaces stays one argument) and `environment`
// entries ("NAME=value") added to this process's, stdout and stderr kept apart.
Outcome run_gram(const fs::path& dir, const std::vector<std::string>& arguments,
                 const std::vector<std::string>& environment = {}) {
  const fs::path out = dir / "gram.stdout";
  const fs::path err = dir / "gram.stderr";
  const pid_t child = ::fork();
  if (child == 0) {
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    for (const auto& entry : environment) ::putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> argv{const_cast<char*>(GRAM_EXECUTABLE)};
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    ::execv(GRAM_EXECUTABLE, argv.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  Outcome outcome;
  outcome.signaled = WIFSIGNALED(status);
  outcome.signal = outcome.signaled ? WTERMSIG(status) : 0;
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = read_bytes(out);
  outcome.err = read_bytes(err);
  return outcome;
}

// ---- safetensors surgery --------------------------------------------------------------------

struct Safetensors {
  json header;
  std::string data;
};

Safetensors read_safetensors(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);  // little-endian, as this machine
  return {json::parse(bytes.substr(8, length)), bytes.substr(8 + length)};
}

std::string header_bytes(const json& header) {
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');  // the format pads the header with spaces
  std::string bytes(8, '\0');
  const std::uint64_t length = text.size();
  std::memcpy(bytes.data(), &length, 8);
  return bytes + text;
}

void write_safetensors(const fs::path& path, const Safetensors& file) {
  write_bytes(path, header_bytes(file.header) + file.data);
}

// The model at `from` with its gram_config metadata changed by `change`.
void rewrite_config(const fs::path& from, const fs::path& to,
                    const std::function<void(json&)>& change) {
  Safetensors file = read_safetensors(from);
  json config = json::parse(file.header["__metadata__"]["gram_config"].get<std::string>());
  change(config);
  file.header["__metadata__"]["gram_config"] = config.dump();
  write_safetensors(to, file);
}

// The model at `from` with the first value of tensor `name` replaced (F32 data).
void poison_tensor(const fs::path& from, const fs::path& to, const std::string& name, float value) {
  Safetensors file = read_safetensors(from);
  const std::uint64_t begin = file.header[name]["data_offsets"][0];
  std::memcpy(file.data.data() + begin, &value, sizeof(value));
  write_safetensors(to, file);
}

// ---- the good inputs ------------------------------------------------------------------------

struct Inputs {
  fs::path dir;
  std::string sudoku_model;
  std::string sudoku_puzzles;
};

const Inputs& inputs();
const std::string& nqueens_model();
const std::string& coloring_model();
const std::string& maze_model();
const std::string& sweep_dir();
const std::string& verifier_file();
std::string verifier_for_hidden_size(int hidden_size);
fs::path suite_dir();

// A run of the sudoku model on `puzzles` with `extra` arguments, writing into `dir`.
std::vector<std::string> sudoku_run(const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> arguments = {"run", "--model", inputs().sudoku_model, "--puzzles",
                                        inputs().sudoku_puzzles, "--width", "2", "--depth", "1",
                                        "--threads", "1", "--output", (dir / "r.jsonl").string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> run_on_puzzles(const fs::path& dir, const std::string& model,
                                        const std::string& puzzles) {
  return {"run", "--model", model, "--puzzles", puzzles, "--width", "1", "--depth", "1",
          "--threads", "1", "--output", (dir / "r.jsonl").string()};
}

std::vector<std::string> run_with_model(const fs::path& dir, const std::string& model) {
  return run_on_puzzles(dir, model, inputs().sudoku_puzzles);
}

std::vector<std::string> sweep_args(const fs::path& dir, std::vector<std::string> extra) {
  std::vector<std::string> arguments = {"sweep", "--models", "tiny=" + inputs().sudoku_model,
                                        "--puzzles", inputs().sudoku_puzzles, "--output",
                                        (dir / "sweep").string(), "--threads", "1"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

// ---- the matrix -----------------------------------------------------------------------------

struct Row {
  std::string name;  // the test's name, quoted in docs/errors.md
  // Writes the row's bad input into `dir` and returns gram's arguments.
  std::function<std::vector<std::string>(const fs::path& dir)> make;
  // Fragments the error line must hold: the file (as written), the line or field, the fault.
  std::vector<std::string> expected;
  std::vector<std::string> environment = {};
};
// GoogleTest names a failing row by this instead of dumping its bytes.
void PrintTo(const Row& row, std::ostream* stream) { *stream << row.name; }

std::string file(const fs::path& dir, const std::string& name, const std::string& text) {
  write_bytes(dir / name, text);
  return (dir / name).string();
}

std::vector<Row> rows() {
  using Args = std::vector<std::string>;
  return {
      // -- model safetensors file -----------------------------------------------------------
      {"ModelMissing", [](const fs::path& d) { return run_with_model(d, (d / "none.safetensors").string()); },
       {"none.safetensors: cannot open"}},
      {"ModelIsADirectory", [](const fs::path& d) { return run_with_model(d, d.string()); },
       {": is a directory"}},
      {"ModelEmpty", [](const fs::path& d) { return run_with_model(d, file(d, "empty.safetensors", "")); },
       {"empty.safetensors: file is 0 bytes"}},
      {"ModelTruncated",
       [](const fs::path& d) {
         const std::string bytes = read_bytes(inputs().sudoku_model);
         return run_with_model(d, file(d, "cut.safetensors", bytes.substr(0, bytes.size() / 2)));
       },
       {"cut.safetensors", "run past the end of the data section"}},
      {"ModelHeaderLengthLies",
       [](const fs::path& d) {
         std::string bytes = read_bytes(inputs().sudoku_model);
         const std::uint64_t huge = std::uint64_t{1} << 40;
         std::memcpy(bytes.data(), &huge, 8);
         return run_with_model(d, file(d, "lying.safetensors", bytes));
       },
       {"lying.safetensors: header length 1099511627776"}},
      {"ModelHeaderNotJson",
       [](const fs::path& d) {
         std::string bytes = read_bytes(inputs().sudoku_model);
         bytes[8] = '[';
         bytes[9] = '{';
         return run_with_model(d, file(d, "garbled.safetensors", bytes));
       },
       {"garbled.safetensors: header is not valid JSON"}},
      {"ModelUnsupportedDtype",
       [](const fs::path& d) {
         Safetensors model = read_safetensors(inputs().sudoku_model);
         model.header["head.lm"]["dtype"] = "I64";
         write_safetensors(d / "i64.safetensors", model);
         return run_with_model(d, (d / "i64.safetensors").string());
       },
       {"i64.safetensors", "head.lm", "unsupported dtype 'I64'"}},
      {"ModelDtypeDisagreesWithLength",
       [](const fs::path& d) {
         Safetensors model = read_safetensors(inputs().sudoku_model);
         model.header["head.lm"]["dtype"] = "F16";
         write_safetensors(d / "f16.safetensors", model);
         return run_with_model(d, (d / "f16.safetensors").string());
       },
       {"f16.safetensors", "head.lm", "data_offsets", "F16 needs"}},
      {"ModelWrongShape",
       [](const fs::path& d) {
         Safetensors model = read_safetensors(inputs().sudoku_model);
         json& shape = model.header["head.lm"]["shape"];
         shape = json::array({shape[1], shape[0]});  // same bytes, transposed
         write_safetensors(d / "shape.safetensors", model);
         return run_with_model(d, (d / "shape.safetensors").string());
       },
       {"shape.safetensors", "tensor 'head.lm' has shape [32, 6]"}},
      {"ModelNanWeight",
       [](const fs::path& d) {
         poison_tensor(inputs().sudoku_model, d / "nan.safetensors", "head.q",
                       std::numeric_limits<float>::quiet_NaN());
         return run_with_model(d, (d / "nan.safetensors").string());
       },
       {"nan.safetensors: tensor 'head.q'", "NaN"}},
      {"ModelInfWeight",
       [](const fs::path& d) {
         poison_tensor(inputs().sudoku_model, d / "inf.safetensors", "net.layers.0.ffn.down",
                       std::numeric_limits<float>::infinity());
         return run_with_model(d, (d / "inf.safetensors").string());
       },
       {"inf.safetensors: tensor 'net.layers.0.ffn.down'", "inf"}},
      // -- model config in the safetensors metadata ------------------------------------------
      {"ModelMetadataWithoutConfig",
       [](const fs::path& d) {
         Safetensors model = read_safetensors(inputs().sudoku_model);
         model.header["__metadata__"].erase("gram_config");
         write_safetensors(d / "noconfig.safetensors", model);
         return run_with_model(d, (d / "noconfig.safetensors").string());
       },
       {"noconfig.safetensors: metadata has no 'gram_config'"}},
      {"ModelMetadataConfigNotJson",
       [](const fs::path& d) {
         Safetensors model = read_safetensors(inputs().sudoku_model);
         model.header["__metadata__"]["gram_config"] = "{\"task\": ";
         write_safetensors(d / "badjson.safetensors", model);
         return run_with_model(d, (d / "badjson.safetensors").string());
       },
       {"badjson.safetensors: metadata 'gram_config' is not valid JSON"}},
      {"ModelConfigUnknownKey",
       [](const fs::path& d) {
         rewrite_config(inputs().sudoku_model, d / "key.safetensors",
                        [](json& config) { config["hiden_size"] = 32; });
         return run_with_model(d, (d / "key.safetensors").string());
       },
       {"key.safetensors", "hiden_size"}},
      {"ModelConfigWrongType",
       [](const fs::path& d) {
         rewrite_config(inputs().sudoku_model, d / "type.safetensors",
                        [](json& config) { config["hidden_size"] = "32"; });
         return run_with_model(d, (d / "type.safetensors").string());
       },
       {"type.safetensors", "hidden_size"}},
      {"ModelConfigBadTask",
       [](const fs::path& d) {
         rewrite_config(inputs().sudoku_model, d / "task.safetensors",
                        [](json& config) { config["task"] = "sudoku:7"; });
         return run_with_model(d, (d / "task.safetensors").string());
       },
       {"task.safetensors: model config: task spec 'sudoku:7'"}},
      {"ModelConfigContradictsTensors",
       [](const fs::path& d) {
         rewrite_config(inputs().sudoku_model, d / "wide.safetensors",
                        [](json& config) { config["hidden_size"] = 64; });
         return run_with_model(d, (d / "wide.safetensors").string());
       },
       {"wide.safetensors", "has shape", "config expects"}},
      // -- model config JSON (gram generate --random-model) ----------------------------------
      {"ConfigJsonMissing",
       [](const fs::path& d) {
         return Args{"generate", "--random-model", (d / "none.json").string(), "--output",
                     (d / "m.safetensors").string()};
       },
       {"none.json: cannot open"}},
      {"ConfigJsonNotJson",
       [](const fs::path& d) {
         return Args{"generate", "--random-model", file(d, "bad.json", "{\"task\": \"sudoku:4\",\n"),
                     "--output", (d / "m.safetensors").string()};
       },
       {"bad.json: not JSON"}},
      {"ConfigJsonUnknownKey",
       [](const fs::path& d) {
         json config = json::parse(read_bytes(std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json"));
         config["num_layer"] = 2;
         return Args{"generate", "--random-model", file(d, "unknown.json", config.dump()),
                     "--output", (d / "m.safetensors").string()};
       },
       {"unknown.json: model config: unknown key 'num_layer'"}},
      {"ConfigJsonWrongType",
       [](const fs::path& d) {
         json config = json::parse(read_bytes(std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json"));
         config["num_layers"] = "two";
         return Args{"generate", "--random-model", file(d, "type.json", config.dump()),
                     "--output", (d / "m.safetensors").string()};
       },
       {"type.json: model config: 'num_layers' must be an integer"}},
      // -- puzzle files ----------------------------------------------------------------------
      {"PuzzlesMissing", [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, (d / "none.txt").string()); },
       {"none.txt: cannot open"}},
      {"PuzzlesEmpty", [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, file(d, "empty.txt", "")); },
       {"empty.txt: no puzzles"}},
      {"PuzzlesOnlyComments", [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, file(d, "comments.txt", "# none\n\n")); },
       {"comments.txt: no puzzles"}},
      {"SudokuWrongLength",
       [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, file(d, "short.txt", "1.3.\n12.\n")); },
       {"short.txt:1"}},
      {"SudokuIllegalSymbol",
       [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, file(d, "symbol.txt", "1..x............\n")); },
       {"symbol.txt:1:4: illegal symbol 'x'"}},
      {"SudokuTwoEqualDigitsInARow",
       [](const fs::path& d) { return run_on_puzzles(d, inputs().sudoku_model, file(d, "twice.txt", "# ok\n1..1............\n")); },
       {"twice.txt:2:4"}},
      {"SudokuSolutionChangesAGiven",
       [](const fs::path& d) {
         return run_on_puzzles(d, inputs().sudoku_model,
                               file(d, "solution.txt", "1...............,2143341221434321\n"));
       },
       {"solution.txt:1"}},
      {"NQueensAttackingQueens",
       [](const fs::path& d) { return run_on_puzzles(d, nqueens_model(), file(d, "attack.txt", "Q....Q..........\n")); },
       {"attack.txt:1:6"}},
      {"NQueensIllegalSymbol",
       [](const fs::path& d) { return run_on_puzzles(d, nqueens_model(), file(d, "symbol.txt", ".....x..........\n")); },
       {"symbol.txt:1:6"}},
      {"NQueensWrongLength",
       [](const fs::path& d) { return run_on_puzzles(d, nqueens_model(), file(d, "short.txt", "....\n")); },
       {"short.txt:1"}},
      {"ColoringSelfLoop",
       [](const fs::path& d) { return run_on_puzzles(d, coloring_model(), file(d, "loop.txt", "0-1 2-2\n")); },
       {"loop.txt:1:5"}},
      {"ColoringNodeOutOfRange",
       [](const fs::path& d) { return run_on_puzzles(d, coloring_model(), file(d, "range.txt", "0-1 1-9\n")); },
       {"range.txt:1:7: node 9 out of range"}},
      {"ColoringNotAnEdge",
       [](const fs::path& d) { return run_on_puzzles(d, coloring_model(), file(d, "edge.txt", "0-1 1+2\n")); },
       {"edge.txt:1:5"}},
      {"ColoringAdjacentNodesShareAColour",
       [](const fs::path& d) { return run_on_puzzles(d, coloring_model(), file(d, "colour.txt", "0-1,0012\n")); },
       {"colour.txt:1"}},
      {"MazeNoPath",
       [](const fs::path& d) {
         return run_on_puzzles(d, maze_model(), file(d, "walled.txt", "######S# #### ##  G######\n"));
       },
       {"walled.txt:1: no path from S to G"}},
      {"MazeTwoStarts",
       [](const fs::path& d) {
         return run_on_puzzles(d, maze_model(), file(d, "starts.txt", "######SS ## # ##  G######\n"));
       },
       {"starts.txt:1:1: maze has 2 'S' and 1 'G'"}},
      // -- gram steps ------------------------------------------------------------------------
      {"StepsIndexPastTheFile",
       [](const fs::path& d) {
         return Args{"steps", "--model", inputs().sudoku_model, "--puzzles",
                     inputs().sudoku_puzzles, "--indices", "0,9999", "--output",
                     (d / "s.jsonl").string()};
       },
       {": has ", "'indices' names puzzle 9999 (0-based)"}},
      // -- run config YAML -------------------------------------------------------------------
      {"RunYamlMissing", [](const fs::path& d) { return Args{"run", "--config", (d / "none.yaml").string()}; },
       {"none.yaml: cannot open"}},
      {"RunYamlUnknownKey",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "width: 2\nwidht: 3\n")}; },
       {"run.yaml:2: unknown key 'widht'"}},
      {"RunYamlWrongType",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "depth: 2\nwidth: three\n")}; },
       {"run.yaml:2: 'width' expects an integer"}},
      {"RunYamlListForAScalar",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "width: [1, 2]\n")}; },
       {"run.yaml:1: 'width' expects a single int value, not a list"}},
      {"RunYamlDuplicateKey",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "width: 1\nwidth: 2\n")}; },
       {"run.yaml:2: duplicate key 'width'"}},
      {"RunYamlNotAMap",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "- width\n- depth\n")}; },
       {"run.yaml:1: expected a map"}},
      {"RunYamlMalformed",
       [](const fs::path& d) { return Args{"run", "--config", file(d, "run.yaml", "width: 2\ndepth: [1\n")}; },
       {"run.yaml:"}},
      // -- sweep config YAML -----------------------------------------------------------------
      {"SweepYamlUnknownKey",
       [](const fs::path& d) { return Args{"sweep", "--config", file(d, "sweep.yaml", "budget: [1]\n")}; },
       {"sweep.yaml:1: unknown key 'budget'"}},
      {"SweepYamlWrongType",
       [](const fs::path& d) { return Args{"sweep", "--config", file(d, "sweep.yaml", "fixed_depth: deep\n")}; },
       {"sweep.yaml:1: 'fixed_depth' expects an integer"}},
      {"SweepYamlBudgetNotANumber",
       [](const fs::path& d) { return Args{"sweep", "--config", file(d, "sweep.yaml", "budgets: [2, many]\n")}; },
       {"sweep.yaml:1:", "budgets"}},
      {"SweepBudgetZero", [](const fs::path& d) { return sweep_args(d, {"--budgets", "0"}); },
       {"--set budgets=0: 'budgets' must be >= 1 (got 0)"}},
      {"SweepBudgetNegative", [](const fs::path& d) { return sweep_args(d, {"--budgets", "-4"}); },
       {"--set budgets=-4: 'budgets' must be >= 1 (got -4)"}},
      {"SweepBudgetFractionalSteps", [](const fs::path& d) { return sweep_args(d, {"--budgets", "2.5"}); },
       {"config: 'budgets' in steps must be whole numbers (got 2.5)"}},
      {"SweepBudgetBelowOneApplication",
       [](const fs::path& d) { return sweep_args(d, {"--budget_unit", "flops", "--budgets", "10"}); },
       {"config: no cell fits the budgets"}},
      {"SweepModelsMissing",
       [](const fs::path& d) {
         return Args{"sweep", "--puzzles", inputs().sudoku_puzzles, "--output", (d / "s").string()};
       },
       {"'models' is required"}},
      {"SweepModelFileMissing",
       [](const fs::path& d) {
         return Args{"sweep", "--models", "tiny=" + (d / "none.safetensors").string(), "--puzzles",
                     inputs().sudoku_puzzles, "--output", (d / "s").string(), "--budgets", "2"};
       },
       {"none.safetensors: cannot open"}},
      {"SweepShardOutOfRange", [](const fs::path& d) { return sweep_args(d, {"--budgets", "2", "--shard", "2/2"}); },
       {"'shard' must be I/N with 0 <= I < N (got '2/2')"}},
      {"SweepTrainingFlopsUnknownModel",
       [](const fs::path& d) { return sweep_args(d, {"--budgets", "2", "--training_flops", "other=100"}); },
       {"'training_flops' entry 'other=100'"}},
      {"SweepComparisonNotAVersusB",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--comparisons", "tiny/width/majority versus depth"});
       },
       {"comparison 'tiny/width/majority versus depth' is not 'A vs B'"}},
      {"SweepComparisonUnknownModel",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--comparisons",
                               "tiny/width/majority vs big/depth/majority"});
       },
       {"comparison 'tiny/width/majority vs big/depth/majority': no model named 'big'"}},
      {"SweepComparisonStrategyNotSwept",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--strategies", "width,depth", "--comparisons",
                               "tiny/grid:2/majority vs tiny/depth/majority"});
       },
       {"strategy 'grid' is not in 'strategies'"}},
      {"SweepSearchRowsNotMultipleOfExpand",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--searches", "beam", "--search_rows", "3"});
       },
       {"config: 'search_rows' entry 3 is not a multiple of 'search_expand' 2"}},
      {"SweepSearchTemperatureZero",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--searches", "smc", "--search_temperature", "0"});
       },
       {"config: 'search_temperature' must be > 0 (got 0)"}},
      {"SweepSearchWithoutAUniformCell",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--strategies", "width", "--fixed_depth", "1",
                               "--searches", "smc", "--search_rows", "4"});
       },
       {"config: search tiny-smc-r4-d1 has no uniform cell to be compared with"}},
      {"SweepSamplerNotASpec", [](const fs::path& d) { return sweep_args(d, {"--samplers", "noise"}); },
       {"'samplers': entry 'noise' must be none, noise:SCALE or dropout:RATE"}},
      {"SweepVerifierUnknownModel",
       [](const fs::path& d) { return sweep_args(d, {"--verifiers", "other=" + verifier_file()}); },
       {"config: 'verifiers' entry 'other=", "must be name=path for a model of 'models'"}},
      {"SweepVerifierDoesNotFit",
       [](const fs::path& d) {
         return sweep_args(d, {"--budgets", "2", "--verifiers",
                               "tiny=" + verifier_for_hidden_size(16)});
       },
       {"verifier16.safetensors: the verifier reads states of hidden_size 16",
        "sudoku.safetensors has hidden_size 32"}},
      // -- bench config YAML -----------------------------------------------------------------
      {"BenchYamlUnknownKey",
       [](const fs::path& d) { return Args{"bench", "--config", file(d, "bench.yaml", "model: m\nwidth: [1]\n")}; },
       {"bench.yaml:2: unknown key 'width'"}},
      {"BenchYamlWrongType",
       [](const fs::path& d) { return Args{"bench", "--config", file(d, "bench.yaml", "repetitions: often\n")}; },
       {"bench.yaml:1: 'repetitions' expects an integer"}},
      {"BenchWidthZero",
       [](const fs::path& d) {
         return Args{"bench", "--model", inputs().sudoku_model, "--widths", "4,0", "--threads", "1",
                     "--peak_gflops", "1"};
       },
       {"widths"}},
      // -- --set overrides and flags ---------------------------------------------------------
      {"SetWithoutEquals", [](const fs::path& d) { return sudoku_run(d, {"--set", "width"}); },
       {"--set width: expected key=value"}},
      {"SetUnknownKey", [](const fs::path& d) { return sudoku_run(d, {"--set", "widht=2"}); },
       {"--set widht=2: unknown key 'widht'"}},
      {"SetWrongType", [](const fs::path& d) { return sudoku_run(d, {"--set", "halting=maybe"}); },
       {"--set halting=maybe: 'halting' expects a bool"}},
      {"FlagUnknown", [](const fs::path& d) { return sudoku_run(d, {"--widht", "2"}); },
       {"gram run: unknown option '--widht'"}},
      {"FlagWithoutValue", [](const fs::path& d) { return sudoku_run(d, {"--depth"}); },
       {"--depth: needs a value"}},
      {"WidthZero", [](const fs::path& d) { return sudoku_run(d, {"--width", "0"}); },
       {"'width' must be >= 1 (got 0)"}},
      {"WidthNegative", [](const fs::path& d) { return sudoku_run(d, {"--width", "-3"}); },
       {"'width' must be >= 1 (got -3)"}},
      {"DepthZero", [](const fs::path& d) { return sudoku_run(d, {"--depth", "0"}); },
       {"'depth' must be >= 1 (got 0)"}},
      {"WidthOutOfRange", [](const fs::path& d) { return sudoku_run(d, {"--width", "99999999999"}); },
       {"'width' is out of range"}},
      {"UnknownAggregator", [](const fs::path& d) { return sudoku_run(d, {"--aggregators", "mode"}); },
       {"'aggregators': unknown aggregator 'mode'"}},
      {"UnknownCommand", [](const fs::path&) { return Args{"rnu"}; }, {"unknown command 'rnu'"}},
      {"InfoWithoutModel", [](const fs::path&) { return Args{"info"}; }, {"gram info: expects exactly one model path"}},
      {"GenerateCountNotANumber",
       [](const fs::path& d) {
         return Args{"generate", "--task", "sudoku:4", "--count", "many", "--output", (d / "p.txt").string()};
       },
       {"--count: expects an integer, got 'many'"}},
      {"GenerateCountOutOfRange",
       [](const fs::path& d) {
         return Args{"generate", "--task", "sudoku:4", "--count", "5000000000", "--output",
                     (d / "p.txt").string()};
       },
       {"--count: 5000000000 is out of range (at most 2147483647)"}},
      {"GenerateSeedNegative",
       [](const fs::path& d) {
         return Args{"generate", "--task", "sudoku:4", "--seed", "-1", "--output",
                     (d / "p.txt").string()};
       },
       {"--seed: must be >= 0, got -1"}},
      {"GenerateEdgeProbabilityNotANumber",
       [](const fs::path& d) {
         return Args{"generate", "--task", "coloring:5:3", "--edge-probability", "half", "--output",
                     (d / "p.txt").string()};
       },
       {"--edge-probability", "half"}},
      {"GenerateBadTaskSpec",
       [](const fs::path& d) {
         return Args{"generate", "--task", "sudoku:7", "--output", (d / "p.txt").string()};
       },
       {"task spec 'sudoku:7'"}},
      // -- memory: impossible budgets --------------------------------------------------------
      {"MemoryLimitBelowOneRow", [](const fs::path& d) { return sudoku_run(d, {"--memory_limit", "64K"}); },
       {"memory: the run needs", "with a single row", "memory_limit is 64.00 KiB"}},
      {"MoreTrajectoriesThanFit",
       [](const fs::path& d) { return sudoku_run(d, {"--width", "2000000000", "--memory_limit", "1G"}); },
       {"memory: the run needs", "results", "memory_limit is 1.00 GiB"}},
      {"SweepMemoryLimitBelowOneRow",
       [](const fs::path& d) { return sweep_args(d, {"--budgets", "2", "--fixed_depth", "1", "--memory_limit", "64K"}); },
       {"run tiny-", "memory: the run needs", "memory_limit is 64.00 KiB"}},
      {"MemoryLimitNotASize", [](const fs::path& d) { return sudoku_run(d, {"--memory_limit", "lots"}); },
       {"'memory_limit' expects a size in bytes"}},
      // -- results files read by report and resume -------------------------------------------
      {"ReportWithoutDirectory", [](const fs::path&) { return Args{"report", "--no-figures"}; },
       {"gram report: expects at least one sweep result directory"}},
      {"ReportDirectoryMissing", [](const fs::path& d) { return Args{"report", (d / "none").string()}; },
       {"none: no such directory"}},
      {"ReportWithoutCells",
       [](const fs::path& d) {
         fs::create_directories(d / "empty");
         return Args{"report", (d / "empty").string(), "--no-figures"};
       },
       {"cells.jsonl: no such file"}},
      {"ReportCellsEmpty",
       [](const fs::path& d) {
         fs::create_directories(d / "sweep");
         write_bytes(d / "sweep" / "cells.jsonl", "");
         return Args{"report", (d / "sweep").string(), "--no-figures"};
       },
       {"cells.jsonl: no context record"}},
      {"ReportCellsGarbledLine",
       [](const fs::path& d) {
         fs::copy(sweep_dir(), d / "sweep", fs::copy_options::recursive);
         std::string cells = read_bytes(d / "sweep" / "cells.jsonl");
         const auto second = cells.find('\n') + 1;
         cells.insert(second, "{\"type\": \"cell\", \"width\": \n");
         write_bytes(d / "sweep" / "cells.jsonl", cells);
         return Args{"report", (d / "sweep").string(), "--no-figures"};
       },
       {"cells.jsonl:2"}},
      {"ReportCellsNotRecords",
       [](const fs::path& d) {
         fs::create_directories(d / "sweep");
         write_bytes(d / "sweep" / "cells.jsonl", "[1, 2]\n");
         return Args{"report", (d / "sweep").string(), "--no-figures"};
       },
       {"cells.jsonl:1", "not a record"}},
      {"ResumeCellsGarbledLine",
       [](const fs::path& d) {
         fs::copy(sweep_dir(), d / "sweep", fs::copy_options::recursive);
         std::string cells = read_bytes(d / "sweep" / "cells.jsonl");
         cells.insert(cells.find('\n') + 1, "not json\n");
         write_bytes(d / "sweep" / "cells.jsonl", cells);
         return sweep_args(d, {"--budgets", "2", "--fixed_depth", "1"});
       },
       {"cells.jsonl:2"}},
      {"ResumeWithAnotherConfig",
       [](const fs::path& d) {
         fs::copy(sweep_dir(), d / "sweep", fs::copy_options::recursive);
         return sweep_args(d, {"--budgets", "2", "--fixed_depth", "1", "--seed", "7"});
       },
       {"sweep", "overwrite"}},
      // -- output ----------------------------------------------------------------------------
      {"OutputExists",
       [](const fs::path& d) {
         write_bytes(d / "r.jsonl", "{}\n");
         return sudoku_run(d);
       },
       {"r.jsonl", "exists"}},
      {"OutputDirectoryIsAFile",
       [](const fs::path& d) {
         write_bytes(d / "plain", "");
         return Args{"run", "--model", inputs().sudoku_model, "--puzzles", inputs().sudoku_puzzles,
                     "--depth", "1", "--threads", "1", "--output", (d / "plain" / "r.jsonl").string()};
       },
       {"plain/r.jsonl: cannot write: Not a directory"}},
      {"SweepOutputIsAFile",
       [](const fs::path& d) {
         write_bytes(d / "sweep", "");
         return sweep_args(d, {"--budgets", "2", "--fixed_depth", "1"});
       },
       {"sweep"}},
      {"ReportOutputExists",
       [](const fs::path& d) {
         fs::copy(sweep_dir(), d / "sweep", fs::copy_options::recursive);
         fs::create_directories(d / "out");
         write_bytes(d / "out" / "report.md", "# kept\n");
         return Args{"report", (d / "sweep").string(), "--output", (d / "out").string(), "--no-figures"};
       },
       {"report.md: exists"}},
      {"BenchOutputExists",
       [](const fs::path& d) {
         write_bytes(d / "bench.json", "{}\n");
         return Args{"bench", "--model", inputs().sudoku_model, "--widths", "1", "--threads", "1",
                     "--peak_gflops", "1", "--output", (d / "bench.json").string()};
       },
       {"bench.json: exists (pass --overwrite to replace it)"}},
      {"GenerateOutputDirectoryIsAFile",
       [](const fs::path& d) {
         write_bytes(d / "plain", "");
         return Args{"generate", "--task", "sudoku:4", "--count", "2", "--output",
                     (d / "plain" / "p.txt").string()};
       },
       {"plain/p.txt: cannot open for writing: Not a directory"}},
      // -- environment -----------------------------------------------------------------------
      {"CudaMathUnknown", [](const fs::path& d) { return sudoku_run(d, {"--backend", "cuda"}); },
       {"GRAM_CUDA_MATH 'fp8': unknown (expected fp32, tf32 or bf16)"}, {"GRAM_CUDA_MATH=fp8"}},
      {"LogDirectoryUnwritable",
       [](const fs::path& d) {
         write_bytes(d / "plain", "");
         return sudoku_run(d);
       },
       {"rank-0.log: cannot open the rank log"}, {"GRAM_LOG_DIR=@DIR@/plain/logs"}},
      {"SlurmTasksWithoutMpi", [](const fs::path& d) { return sudoku_run(d); },
       {"slurm started 2 tasks but MPI sees 1 rank"}, {"SLURM_PROCID=0", "SLURM_NTASKS=2"}},
      // -- samplers and verifier files (gram run) ---------------------------------------------
      {"NoiseScaleNegative", [](const fs::path& d) { return sudoku_run(d, {"--noise_scale", "-1"}); },
       {"--set noise_scale=-1: 'noise_scale' must be >= 0"}},
      {"DropoutRateOne", [](const fs::path& d) { return sudoku_run(d, {"--dropout_rate", "1"}); },
       {"config: 'dropout_rate' must be below 1 (got 1)"}},
      {"NoiseAtUnknownUpdate", [](const fs::path& d) { return sudoku_run(d, {"--noise_at", "x"}); },
       {"--set noise_at=x: 'noise_at': unknown update 'x' (known: h, l)"}},
      {"DropoutLayerNotInTheModel",
       [](const fs::path& d) {
         return sudoku_run(d, {"--dropout_rate", "0.1", "--dropout_layers", "5"});
       },
       {"dropout_layers: ", "sudoku.safetensors has layers 0..1, not layer 5"}},
      {"VerifierMissing",
       [](const fs::path& d) { return sudoku_run(d, {"--verifier", (d / "none.safetensors").string()}); },
       {"none.safetensors: cannot open"}},
      {"VerifierIsAModel",
       [](const fs::path& d) { return sudoku_run(d, {"--verifier", inputs().sudoku_model}); },
       {"sudoku.safetensors: metadata has no 'gram_verifier' (not a gram-engine verifier)"}},
      {"VerifierConfigUnknownKey",
       [](const fs::path& d) {
         Safetensors file = read_safetensors(verifier_file());
         json config = json::parse(file.header["__metadata__"]["gram_verifier"].get<std::string>());
         config["hiden"] = 4;
         file.header["__metadata__"]["gram_verifier"] = config.dump();
         write_safetensors(d / "key.safetensors", file);
         return sudoku_run(d, {"--verifier", (d / "key.safetensors").string()});
       },
       {"key.safetensors: verifier config: unknown key 'hiden'"}},
      {"VerifierWrongShape",
       [](const fs::path& d) {
         Safetensors file = read_safetensors(verifier_file());
         json& shape = file.header["verifier.in_h"]["shape"];
         shape = json::array({shape[1], shape[0]});  // same bytes, transposed
         write_safetensors(d / "shape.safetensors", file);
         return sudoku_run(d, {"--verifier", (d / "shape.safetensors").string()});
       },
       {"shape.safetensors: tensor 'verifier.in_h' has shape [544, 4], its config expects [4, 544]"}},
      {"VerifierNanWeight",
       [](const fs::path& d) {
         poison_tensor(verifier_file(), d / "nan.safetensors", "verifier.out_bias",
                       std::numeric_limits<float>::quiet_NaN());
         return sudoku_run(d, {"--verifier", (d / "nan.safetensors").string()});
       },
       {"nan.safetensors: tensor 'verifier.out_bias' element 0 is NaN"}},
      {"VerifierDoesNotFitTheModel",
       [](const fs::path& d) {
         return sudoku_run(d, {"--verifier", verifier_for_hidden_size(16)});
       },
       {"verifier16.safetensors: the verifier reads states of hidden_size 16 at 17 positions "
        "(sudoku:4), but ", "sudoku.safetensors has hidden_size 32 at 17 positions (sudoku:4)"}},
  };
}

// ---- the suite ------------------------------------------------------------------------------

fs::path suite_dir() {
  return fs::temp_directory_path() / ("gram_bad_input_" + std::to_string(::getpid()));
}

// Each is made on first use: ctest runs every row in a process of its own, and most rows need
// only the Sudoku model and puzzles.
fs::path inputs_dir() {
  const fs::path dir = suite_dir() / "inputs";
  fs::create_directories(dir);
  return dir;
}

void must(const std::vector<std::string>& arguments) {
  const Outcome outcome = run_gram(inputs_dir(), arguments);
  if (outcome.status != 0) ADD_FAILURE() << "making a good input failed: " << outcome.err;
}

// The tiny Sudoku model's architecture for another task.
std::string model_for(const std::string& task, int vocab_size, int seq_len, const std::string& name) {
  json config = json::parse(read_bytes(std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json"));
  config["task"] = task;
  config["vocab_size"] = vocab_size;
  config["seq_len"] = seq_len;
  write_bytes(inputs_dir() / (name + ".json"), config.dump());
  const std::string model = (inputs_dir() / (name + ".safetensors")).string();
  must({"generate", "--random-model", (inputs_dir() / (name + ".json")).string(), "--output", model});
  return model;
}

const Inputs& inputs() {
  static const Inputs made = [] {
    Inputs in;
    in.dir = inputs_dir();
    in.sudoku_model = (in.dir / "sudoku.safetensors").string();
    must({"generate", "--random-model", std::string(GRAM_SOURCE_DIR) + "/configs/models/sudoku4-tiny.json",
          "--seed", "1", "--output", in.sudoku_model});
    in.sudoku_puzzles = (in.dir / "sudoku.txt").string();
    must({"generate", "--task", "sudoku:4", "--count", "3", "--seed", "2", "--output", in.sudoku_puzzles});
    return in;
  }();
  return made;
}

// A verifier of the Sudoku model's whole h (4 hidden units), and one for a model of another
// hidden size.
std::string verifier_for_hidden_size(int hidden_size) {
  const gram::model::Model model = gram::model::load_model(inputs().sudoku_model);
  gram::model::ModelConfig config = model.config;
  config.hidden_size = hidden_size;
  gram::model::VerifierConfig shape;
  shape.all_positions = true;
  shape.hidden = 4;
  const std::string path =
      (inputs_dir() / ("verifier" + std::to_string(hidden_size) + ".safetensors")).string();
  if (!fs::exists(path)) {
    gram::model::save_verifier(path, gram::model::random_verifier(config, shape, 1));
  }
  return path;
}

const std::string& verifier_file() {
  static const std::string path = verifier_for_hidden_size(32);
  return path;
}

const std::string& nqueens_model() {
  static const std::string model = model_for("nqueens:4", 3, 16, "nqueens");
  return model;
}

const std::string& coloring_model() {
  static const std::string model = model_for("coloring:4:3", 6, 10, "coloring");
  return model;
}

const std::string& maze_model() {
  static const std::string model = model_for("maze:5", 6, 25, "maze");
  return model;
}

// A finished one-run sweep, for the report and resume rows.
const std::string& sweep_dir() {
  static const std::string dir = [] {
    const std::string output = (inputs_dir() / "sweep").string();
    must({"sweep", "--models", "tiny=" + inputs().sudoku_model, "--puzzles", inputs().sudoku_puzzles,
          "--output", output, "--budgets", "2", "--fixed_depth", "1", "--threads", "1"});
    return output;
  }();
  return dir;
}

class BadInput : public ::testing::TestWithParam<Row> {
 protected:
  static void TearDownTestSuite() { fs::remove_all(suite_dir()); }
};

TEST_P(BadInput, OneLineNamingTheFaultAndNonZeroExit) {
  const Row& row = GetParam();
  inputs();
  const fs::path dir = suite_dir() / row.name;
  fs::create_directories(dir);
  std::vector<std::string> environment;
  for (std::string entry : row.environment) {
    if (const auto at = entry.find("@DIR@"); at != std::string::npos) entry.replace(at, 5, dir.string());
    environment.push_back(entry);
  }
  const Outcome outcome = run_gram(dir, row.make(dir), environment);

  EXPECT_FALSE(outcome.signaled) << "killed by signal " << outcome.signal << ": " << outcome.err;
  EXPECT_NE(outcome.status, 0) << outcome.out;
  const std::string prefix = "gram: error: ";
  ASSERT_EQ(outcome.err.rfind(prefix, 0), 0u) << outcome.err;
  ASSERT_FALSE(outcome.err.empty());
  EXPECT_EQ(outcome.err.back(), '\n') << outcome.err;
  EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << "more than one line:\n" << outcome.err;
  const std::string line = outcome.err.substr(prefix.size(), outcome.err.find('\n') - prefix.size());
  for (const auto& fragment : row.expected) {
    EXPECT_NE(line.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << line;
  }
  // docs/errors.md quotes these lines; a run of this test prints them.
  std::printf("[ LINE     ] %s: %s\n", row.name.c_str(), line.c_str());
}

INSTANTIATE_TEST_SUITE_P(Matrix, BadInput, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace

namespace {

// "Nothing already written is lost": a run whose output already holds results is refused before
// any work, the file byte for byte as it was; --overwrite replaces it.
TEST(ExistingResults, AreKeptByteForByteWithoutOverwrite) {
  const fs::path dir = suite_dir() / "existing";
  fs::create_directories(dir);
  const auto arguments = sudoku_run(dir);
  const Outcome first = run_gram(dir, arguments);
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string before = read_bytes(dir / "r.jsonl");
  ASSERT_FALSE(before.empty());

  const Outcome again = run_gram(dir, arguments);
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("r.jsonl"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_bytes(dir / "r.jsonl"), before);

  // A failing run with --overwrite (a bad puzzle file) still leaves the old results alone: the
  // inputs are read before the output is opened.
  auto broken = arguments;
  broken[4] = (dir / "none.txt").string();
  broken.push_back("--overwrite");
  EXPECT_EQ(run_gram(dir, broken).status, 1);
  EXPECT_EQ(read_bytes(dir / "r.jsonl"), before);

  auto replace = arguments;
  replace.push_back("--overwrite");
  EXPECT_EQ(run_gram(dir, replace).status, 0);
  fs::remove_all(dir);
}

}  // namespace
