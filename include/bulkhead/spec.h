#pragma once

#include <string_view>

#include "bulkhead/json.h"
#include "bulkhead/policy.h"

/* The one reader of the documents runc decodes: config.json (Scope::Spec), an
 * exec process (Scope::Process) and update resources (Scope::Resources).
 *
 * runc reads them with Go's encoding/json into the runtime-spec structs. Go
 * matches an object key to a struct field case-insensitively, with Unicode
 * simple folding (U+212A KELVIN SIGN is "k", U+017F LATIN SMALL LETTER LONG S
 * is "s"), and the later of two keys that land on one field wins. A document
 * is read here against a description of every struct runc decodes, once,
 * before any rule sees it:
 *   - a key that is not byte-identical to a field name but folds to one is
 *     refused (an engine never writes one); keys that fold to no field are
 *     ignored by runc and kept untouched; the keys of maps (annotations,
 *     sysctl, unified, rdma) are data and are left alone;
 *   - every value has its field's Go type: bool, string, integers within the
 *     range of uint16/uint32/int32/int64/uint64 written as plain integers
 *     ("1.0", "1e3" and "-0" for an unsigned field are refused, as Go refuses
 *     them), arrays, objects; null is accepted only as a struct field's value,
 *     where it means absent, never inside an array or as a map value (Go would
 *     store a zero value there: uid 0, "");
 *   - the parser has already refused what Go would read differently from
 *     bulkhead: duplicate keys, invalid UTF-8, lone surrogate escapes.
 * After read(), the rules may rely on these types. A document that fails is
 * not judged at all: one Error{Json} line naming the place, exit 2 from the
 * offline verbs, a refusal (exit 1) in runtime mode. */
namespace bulkhead::spec {

/* Parse TEXT (strictly: no comments, as Go reads none) and check it as a
 * document of SCOPE. Throws Error{Json, "NAME:LINE:COL: POINTER: problem"}. */
json::Value read(std::string_view text, std::string_view name, policy::Scope scope);

/* Check an already parsed document. For Scope::Process the document is
 * {"process": P} and for Scope::Resources {"linux": {"resources": R}}, as the
 * rules see them, optionally with the container's "annotations" beside. Throws
 * Error{Json, "POINTER: problem"}; NAME and TEXT, when given, add
 * "NAME:LINE:COL: " in front. */
void check(const json::Value &doc, policy::Scope scope, std::string_view name = {},
           std::string_view text = {});

/* Whether KEY would be matched by Go's encoding/json to the field NAME (an
 * ASCII field name): equal under ASCII case folding plus the two non-ASCII
 * runes that fold into ASCII letters. Exposed for tests. */
bool goFoldEquals(std::string_view key, std::string_view name) noexcept;

/* The described structs as lines "PATH TYPE", one per field, depth first:
 * "/process/user/uid uint32", "/mounts/[]/options []string", "/process/user
 * struct", "/annotations/{} string", "/windows any". A test compares them with
 * the Go structs runc decodes into (tests/schema). */
std::string describe();

} // namespace bulkhead::spec
