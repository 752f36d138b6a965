/* The description of the structs runc decodes (src/spec_schema.cpp) that
 * the reader (src/spec.cpp) walks: each field's JSON name and Go type. */
#pragma once

#include <cstddef>
#include <string_view>

namespace bulkhead::spec::schema {

enum class Kind : unsigned char {
	Bool,
	String,
	Int32,
	Int64, /* also Go's int on 64-bit Linux */
	Uint16,
	Uint32,
	Uint64, /* also Go's uint */
	Any,    /* interface{} or a section runc never reads */
	Struct,
	Slice,
	Map, /* map[string]T: the keys are data */
};

struct StructDef;

struct Type
{
	Kind kind;
	const char *goName;
	const Type *elem = nullptr;     /* Slice, Map */
	const StructDef *def = nullptr; /* Struct */
};

struct Field
{
	std::string_view name;
	const Type *type;
};

struct StructDef
{
	const Field *fields;
	size_t count;
};

/* The three documents runc decodes, and the annotations' type. */
extern const StructDef kSpec;      /* config.json: specs.Spec */
extern const StructDef kProcess;   /* exec --process: specs.Process */
extern const StructDef kResources; /* update -r: specs.LinuxResources */
extern const Type kStringMap;      /* map[string]string */

} // namespace bulkhead::spec::schema
