// Print every JSON field of the runtime-spec structs that runc decodes
// config.json into, as "PATH TYPE" lines in the same form as bulkhead's
// spec::describe(): Go's basic type names, "struct", "[]T", "map[string]T",
// "any". Built offline against Debian's golang-github-opencontainers-specs-dev:
//   GO111MODULE=off GOPATH=/usr/share/gocode go run fields.go
package main

import (
	"fmt"
	"reflect"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func kind(t reflect.Type) string {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return "struct"
	case reflect.Slice:
		return "[]" + kind(t.Elem())
	case reflect.Map:
		return "map[string]" + kind(t.Elem())
	case reflect.Interface:
		return "any"
	default:
		return t.Kind().String()
	}
}

func walkType(t reflect.Type, path string) {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		walkStruct(t, path)
	case reflect.Slice:
		fmt.Printf("%s/[] %s\n", path, kind(t.Elem()))
		walkType(t.Elem(), path+"/[]")
	case reflect.Map:
		fmt.Printf("%s/{} %s\n", path, kind(t.Elem()))
		walkType(t.Elem(), path+"/{}")
	}
}

func walkStruct(t reflect.Type, path string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			// encoding/json promotes the fields of an embedded struct
			walkStruct(f.Type, path)
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" || f.PkgPath != "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fmt.Printf("%s/%s %s\n", path, name, kind(f.Type))
		walkType(f.Type, path+"/"+name)
	}
}

func main() {
	walkStruct(reflect.TypeOf(specs.Spec{}), "")
}
