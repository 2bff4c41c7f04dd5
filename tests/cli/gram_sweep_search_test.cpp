// Latent searches in `gram sweep`: a search record equals a direct `gram run --search` of the
// same settings puzzle by puzzle, is compared with the sweep's uniform cell at the nearest not
// smaller compute, is kept on resume, shows in `gram report`, and a sweep without a uniform cell
// to compare with, or with a model that cannot search, is refused before anything runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cli_fixture.h"

namespace {

using gram::testing::Command;
using gram::testing::GramCli;
using gram::testing::read_records;
using gram::testing::remove_first;
using gram::testing::run;
using gram::testing::write_records;

class GramSweepSearch : public GramCli {
 protected:
  const std::string model_ = std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-gram-small.safetensors";
  const std::string puzzles_ = std::string(GRAM_SOURCE_DIR) + "/models/data/sudoku6-test.txt";

  // Width cells 1, 2, 4, 8 at depth 3 (budgets 3..24 steps); searches of 4 rows, a low
  // temperature so that SMC resamples.
  std::string sweep(const std::string& output, const std::string& extra = "") const {
    return "sweep --models small=" + model_ + " --puzzles " + puzzles_ +
           " --limit 12 --budgets 3,6,12,24 --strategies width --fixed_depth 3 --threads 1"
           " --seed 5 --aggregators majority,best_of_n --searches smc,beam --search_rows 4"
           " --search_temperature 0.01 --search_expand 2 --output " + path(output) + extra;
  }
  std::vector<nlohmann::json> records_of(const std::string& output, const std::string& type) const {
    std::vector<nlohmann::json> found;
    for (const auto& record : read_records(path(output) + "/cells.jsonl")) {
      if (record["type"] == type) found.push_back(record);
    }
    return found;
  }
};

TEST_F(GramSweepSearch, SearchRecordsEqualDirectSearchRunsAndMatchTheUniformCell) {
  const Command swept = run(sweep("sweep"));
  ASSERT_EQ(swept.status, 0) << swept.output;
  const auto searches = records_of("sweep", "search");
  ASSERT_EQ(searches.size(), 2u);
  std::map<int, nlohmann::json> uniform;  // width -> cell
  for (const auto& cell : records_of("sweep", "cell")) uniform[cell["width"]] = cell;
  ASSERT_EQ(uniform.size(), 4u);

  for (const auto& search : searches) {
    const std::string kind = search["search"];
    const nlohmann::json& settings = search["settings"];
    std::string options = " --search " + kind;
    if (kind == "smc") {
      options += " --particles " + std::to_string(settings["particles"].get<int>()) +
                 " --temperature " + std::to_string(settings["temperature"].get<double>()) +
                 " --resample_every " + std::to_string(settings["resample_every"].get<int>()) +
                 " --ess_threshold " + std::to_string(settings["ess_threshold"].get<double>());
    } else {
      options += " --beams " + std::to_string(settings["beams"].get<int>()) + " --expand " +
                 std::to_string(settings["expand"].get<int>());
    }
    const Command direct = run("run --model " + model_ + " --puzzles " + puzzles_ +
                               " --limit 12 --depth 3 --threads 1 --seed 5"
                               " --aggregators majority,best_of_n" + options + " --output " +
                               path(kind + ".jsonl"));
    ASSERT_EQ(direct.status, 0) << direct.output;
    std::int64_t applications = 0;
    int puzzle = 0;
    for (const auto& record : read_records(path(kind + ".jsonl"))) {
      if (record["type"] != "puzzle") continue;
      for (const std::string aggregator : {"majority", "best_of_n"}) {
        const bool right = record["aggregate"][aggregator]["correct"];
        EXPECT_EQ(right, search["per_puzzle"][aggregator].get<std::string>()[puzzle] == '1')
            << kind << " " << aggregator << " puzzle " << puzzle;
      }
      applications += record["applications"].get<std::int64_t>();
      ++puzzle;
    }
    EXPECT_EQ(puzzle, 12);
    EXPECT_EQ(applications, search["applications"].get<std::int64_t>()) << kind;

    // 4 rows x 3 steps: the uniform cell of width 4 spends exactly as much, and the comparison
    // is with it, puzzle by puzzle: the discordant pairs explain the difference in correct.
    const auto& matched = search["matched_uniform"];
    EXPECT_EQ(matched["width"], 4) << kind;
    EXPECT_DOUBLE_EQ(matched["applications_per_puzzle"].get<double>(),
                     search["applications_per_puzzle"].get<double>());
    EXPECT_EQ(search["full_uniform"]["width"], 8) << kind;
    for (const std::string aggregator : {"majority", "best_of_n"}) {
      const int cell_correct = uniform[4]["correct"][aggregator];
      EXPECT_EQ(matched["correct"][aggregator], cell_correct) << kind << " " << aggregator;
      const auto& test = matched["mcnemar"][aggregator];
      EXPECT_EQ(search["correct"][aggregator].get<int>() - cell_correct,
                test["only_policy"].get<int>() - test["only_uniform"].get<int>());
    }
  }
  // At this temperature SMC resamples: were it never to, it would be the uniform cell itself.
  EXPECT_GT(searches[0]["state_copies_per_puzzle"].get<double>(), 0.0);
}

TEST_F(GramSweepSearch, ResumeRunsOnlyTheMissingSearchAndTheReportShowsBoth) {
  ASSERT_EQ(run(sweep("sweep")).status, 0);
  const auto first = read_records(path("sweep") + "/cells.jsonl");
  const Command again = run(sweep("sweep"));
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("0 runs executed"), std::string::npos) << again.output;

  // Without the beam record only the beam search runs again, and writes the same figures.
  std::vector<nlohmann::json> kept = first;
  const nlohmann::json removed = remove_first(kept, [](const nlohmann::json& record) {
    return record["type"] == "search" && record["search"] == "beam";
  });
  ASSERT_FALSE(removed.is_null());
  write_records(path("sweep") + "/cells.jsonl", kept);
  const Command resumed = run(sweep("sweep"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("1 runs executed"), std::string::npos) << resumed.output;
  const auto after = read_records(path("sweep") + "/cells.jsonl");
  ASSERT_EQ(after.size(), first.size());
  EXPECT_EQ(after.back()["search"], "beam");
  EXPECT_EQ(after.back()["per_puzzle"], removed["per_puzzle"]);
  EXPECT_EQ(after.back()["matched_uniform"], removed["matched_uniform"]);

  const Command report = run("report " + path("sweep") + " --no-figures --output " + path("report"));
  ASSERT_EQ(report.status, 0) << report.output;
  std::ifstream markdown(path("report") + "/report.md");
  const std::string text((std::istreambuf_iterator<char>(markdown)), {});
  EXPECT_NE(text.find("| 4x3 | smc |"), std::string::npos) << text;
  EXPECT_NE(text.find("| 4x3 | beam |"), std::string::npos) << text;
}

TEST_F(GramSweepSearch, ABrokenSearchRecordIsRefusedByLine) {
  ASSERT_EQ(run(sweep("sweep")).status, 0);
  std::vector<nlohmann::json> records = read_records(path("sweep") + "/cells.jsonl");
  std::size_t line = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i]["type"] == "search" && line == 0) {
      records[i]["search"] = "annealing";
      line = i + 1;
    }
  }
  ASSERT_GT(line, 0u);
  write_records(path("sweep") + "/cells.jsonl", records);
  const Command broken = run("report " + path("sweep") + " --no-figures --output " + path("report"));
  EXPECT_EQ(broken.status, 1) << broken.output;
  EXPECT_NE(broken.output.find("cells.jsonl:" + std::to_string(line) +
                               ": search: unknown search 'annealing'"),
            std::string::npos)
      << broken.output;
}

TEST_F(GramSweepSearch, NothingToCompareWithOrNoNoiseIsRefusedBeforeRunning) {
  // Widths 1 and 2 only: a search of 4 rows has no uniform cell that spends as much.
  const Command narrow = run(sweep("narrow", " --budgets 3,6"));
  EXPECT_EQ(narrow.status, 1) << narrow.output;
  EXPECT_NE(narrow.output.find("gram: error: config: search small-smc-r4-d3 has no uniform cell "
                               "to be compared with"),
            std::string::npos)
      << narrow.output;
  EXPECT_FALSE(std::filesystem::exists(path("narrow") + "/cells.jsonl"));

  const std::string deterministic =
      std::string(GRAM_SOURCE_DIR) + "/models/sudoku6-trm-small.safetensors";
  const Command trm = run(sweep("trm", " --models trm=" + deterministic));
  EXPECT_EQ(trm.status, 1) << trm.output;
  EXPECT_NE(trm.output.find("searches need a stochastic model: " + deterministic),
            std::string::npos)
      << trm.output;

  const Command odd = run(sweep("odd", " --search_rows 5"));
  EXPECT_EQ(odd.status, 1) << odd.output;
  EXPECT_NE(odd.output.find("'search_rows' entry 5 is not a multiple of 'search_expand' 2"),
            std::string::npos)
      << odd.output;
}

}  // namespace
