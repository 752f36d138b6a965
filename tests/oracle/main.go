// oracle: a differential test of bulkhead against what runc acts on.
//
//	oracle decode spec|process|resources FILE
//	    decode FILE exactly as runc 1.1.5 does and print what runc acts on, as
//	    JSON; exit 2 when runc would refuse (or crash on) the document
//	oracle check [-policy FILE] [-bundle DIR] [-id ID] spec|process|resources FILE
//	    decode as above, then check the restricted guarantees (P1-P12) on it:
//	    one "Pn: what" line per violation; exit 1 if any, 0 if none, 2 refused
//	oracle fuzz -bulkhead BIN -policy FILE -seconds N -seed FILE|DIR... [-out DIR]
//	    [-rand-seed N] [-kinds spec,process,resources] [-iterations N]
//	    mutate seed documents as an attacker would, harden each with
//	    `BIN policy harden`, and check every document bulkhead lets through;
//	    exit 1 when one violates a guarantee
//
// Build (GOPATH mode, Debian's packages only):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o oracle .
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

const usage = `usage: oracle decode spec|process|resources FILE
       oracle check [-policy FILE] [-bundle DIR] [-id ID] spec|process|resources FILE
       oracle fuzz -bulkhead BIN -policy FILE -seconds N -seed FILE|DIR... [-out DIR]
                   [-rand-seed N] [-kinds spec,process,resources] [-iterations N]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "decode":
		code = cmdDecode(os.Args[2:])
	case "check":
		code = cmdCheck(os.Args[2:])
	case "fuzz":
		code = cmdFuzz(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "oracle: unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}

func die(format string, a ...interface{}) int {
	fmt.Fprintf(os.Stderr, "oracle: "+format+"\n", a...)
	return 2
}

func kindAndFile(fs *flag.FlagSet) (string, string, bool) {
	if fs.NArg() != 2 || !validKind(fs.Arg(0)) {
		return "", "", false
	}
	return fs.Arg(0), fs.Arg(1), true
}

func cmdDecode(args []string) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kind, file, ok := kindAndFile(fs)
	if !ok {
		return die("decode: want KIND FILE, KIND one of spec, process, resources")
	}
	d, err := decodeFile(kind, file)
	if err != nil {
		return die("%s: %v", file, err)
	}
	out, err := d.marshal()
	if err != nil {
		return die("%s: %v", file, err)
	}
	os.Stdout.Write(append(out, '\n'))
	return 0
}

func cmdCheck(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	policy := fs.String("policy", "", "policy file whose parameters to check against (default: restricted's)")
	bundle := fs.String("bundle", "", "directory relative mount sources resolve against (default: FILE's)")
	id := fs.String("id", "", "this container's ID (its own engine files may be mounted)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kind, file, ok := kindAndFile(fs)
	if !ok {
		return die("check: want KIND FILE, KIND one of spec, process, resources")
	}
	p, err := loadParams(*policy)
	if err != nil {
		return die("%v", err)
	}
	d, err := decodeFile(kind, file)
	if err != nil {
		return die("%s: %v", file, err)
	}
	b := *bundle
	if b == "" {
		abs, err := filepath.Abs(file)
		if err != nil {
			return die("%v", err)
		}
		b = filepath.Dir(abs)
	}
	c := checker{p: p, bundle: b, id: *id}
	v := c.check(d)
	for _, line := range v {
		fmt.Println(line)
	}
	if len(v) > 0 {
		return 1
	}
	return 0
}
