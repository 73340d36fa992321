#pragma once
// Name patterns for steering, exceptions and the block list. "x.example" matches exactly;
// "*.x.example" matches strict subdomains of x.example on label boundaries (any depth); a "*"
// label anywhere else matches exactly one label ("portal.sso.*.amazonaws.com"). Case-insensitive.

#include <string>
#include <string_view>
#include <vector>

namespace consolegate::dns {

class name_set {
  public:
    // False (and nothing added) for a malformed pattern: empty labels, labels over 63 bytes.
    bool add(std::string_view pattern);
    // `lower` is a lowercase dotted name without the trailing dot (see to_text).
    bool matches(std::string_view lower) const noexcept;
    bool empty() const noexcept { return exact_.empty() && suffixes_.empty() && labels_.empty(); }

  private:
    std::vector<std::string> exact_;
    std::vector<std::string> suffixes_;             // ".x.example" for "*.x.example"
    std::vector<std::vector<std::string>> labels_;  // patterns with an inner "*"
};

}  // namespace consolegate::dns
