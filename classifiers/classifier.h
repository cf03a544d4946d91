// The Arabic event classifier. Built once from data files (lexicons, rules, gazetteers), then a
// pure function of its input: no I/O, no globals, safe to call from many threads at once.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "classifiers/classification.h"

namespace raqib::classifiers {

struct Thresholds {
  double attack = 0.5;
  double claim = 0.5;
  double statement = 0.5;
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  // Thread-safe; never throws on any input (invalid UTF-8 included).
  virtual Classification Classify(const Article& article) const = 0;
  // Identifies the code and data version, carried in every alert.
  virtual std::string Version() const = 0;
};

// Loads the data files under `data_dir` (see docs/CLASSIFIER.md for their format). Returns a
// message naming the file and line on a bad file.
std::expected<std::shared_ptr<const Classifier>, std::string> LoadClassifier(
    const std::filesystem::path& data_dir, const Thresholds& thresholds = {});

// Where the data files are when no directory is configured: next to the executable
// (build tree), then the installed share directory.
std::filesystem::path DefaultDataDir();

}  // namespace raqib::classifiers
