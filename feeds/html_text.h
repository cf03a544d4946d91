// HTML -> plain text for feed fields (internal to feeds/).
#pragma once

#include <string>
#include <string_view>

namespace raqib::feeds {

// The visible text of an HTML fragment as clean UTF-8: tags removed, character references
// (all HTML5 named entities included) decoded, script/style dropped, runs of white space
// collapsed, block elements (p, div, h1-h6, li, blockquote, table rows ...) separated by "\n\n"
// or "\n", <br> kept as "\n". Plain text goes through unchanged apart from the spacing. Uses
// libgumbo, so any input is accepted; at most kMaxHtmlBytes of it are read.
// Common fragments (plain tags, tables whose text is all in their cells, simple comments,
// numeric and the commonest named references) are converted directly, the rest by gumbo; either
// way the characters are gumbo's (the direct path may only place white space differently in
// malformed HTML).
std::string HtmlToText(std::string_view html);

// HtmlToText by gumbo alone, for checking the direct path against it (fuzz target, tests).
std::string HtmlToTextWithGumbo(std::string_view html);

// Collapses runs of white space (and no-break spaces) to one space and trims the ends, for
// fields that are text by definition (Atom type="text", names, categories).
std::string CollapseSpace(std::string_view text);

// The longest HTML fragment HtmlToText reads; the rest is dropped (bounds time and memory).
inline constexpr std::size_t kMaxHtmlBytes = 1 << 20;

}  // namespace raqib::feeds
