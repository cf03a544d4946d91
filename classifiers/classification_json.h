// The JSON form of a Classification, shared by `raqib classify` and the Kafka alert messages
// (docs/alert.schema.json). Strings are UTF-8 as is; spans carry byte offsets into the original
// field and the quoted text, so a dashboard can highlight without re-deriving anything.
#pragma once

#include <nlohmann/json.hpp>

#include "classifiers/classification.h"

namespace raqib::classifiers {

// {"labels": [...], "scores": {"attack": s, ...}, "evidence": [...], "entities": [...],
//  "casualties": {"killed": n, "injured": n}}; `article` supplies the quoted span texts.
nlohmann::json ToJson(const Classification& classification, const Article& article);

}  // namespace raqib::classifiers
