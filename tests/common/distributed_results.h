#pragma once
// Shared by the mpi and slurm suites: shell commands with their output, and the records of a
// sweep or run with the fields that may legitimately differ between two executions (timing,
// world size, when and how it was started) removed, so that what remains must be identical.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace gram::testing {

namespace fs = std::filesystem;

struct Shell {
  int status;  // exit status; 128 + signal when killed
  std::string output;
};

inline Shell shell(const std::string& command) {
  std::string output;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), output};
  return {WEXITSTATUS(status), output};
}

// The full path of `program` on PATH, or "".
inline std::string find_program(const std::string& program) {
  Shell found = shell("command -v " + program);
  if (found.status != 0) return "";
  while (!found.output.empty() && found.output.back() == '\n') found.output.pop_back();
  return found.output;
}

// Every complete line of a JSONL file (a killed writer's torn tail is left out).
inline std::vector<nlohmann::json> complete_records(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  std::vector<nlohmann::json> records;
  std::size_t start = 0;
  for (std::size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
    if (end > start) records.push_back(nlohmann::json::parse(all.substr(start, end - start)));
  }
  return records;
}

// A sweep's cells.jsonl without timing, world size, start time, command line, environment,
// measured GEMM peak and output location.
inline std::vector<nlohmann::json> comparable_sweep(const fs::path& directory) {
  std::vector<nlohmann::json> records = complete_records(directory / "cells.jsonl");
  for (nlohmann::json& record : records) {
    if (record["type"] == "context") {
      for (const char* field : {"start_time", "command_line", "world_size", "environment", "peak",
                                "shard", "host", "cores"}) {
        record.erase(field);
      }
      record["sweep"].erase("output");
      record["sweep"].erase("shard");
    }
    record.erase("timing");
  }
  return records;
}

// The raw trajectory files of a sweep, by name.
inline std::map<std::string, std::string> raw_runs(const fs::path& directory) {
  std::map<std::string, std::string> files;
  if (!fs::exists(directory / "runs")) return files;
  for (const auto& entry : fs::directory_iterator(directory / "runs")) {
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    files[entry.path().filename().string()] = text.str();
  }
  return files;
}

// A `gram run` result file without its timing fields and the context's run-specific fields.
inline std::vector<nlohmann::json> comparable_run(const fs::path& path) {
  std::vector<nlohmann::json> records = complete_records(path);
  for (nlohmann::json& record : records) {
    for (const char* field : {"start_time", "command_line", "world_size", "environment", "wall_s",
                              "puzzles_per_s", "trajectories_per_s", "applications_per_s",
                              "flops_per_s", "time_to_first_answer_s", "time_to_decision_s"}) {
      record.erase(field);
    }
    if (record["type"] == "context") record["config"].erase("output");
  }
  return records;
}

}  // namespace gram::testing
