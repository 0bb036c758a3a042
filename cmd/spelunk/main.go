// Command spelunk runs Splunk security content analytics over Windows
// event logs without Splunk.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK     = 0 // the command ran and every input was read
	exitErrors = 1 // the command ran, but some input or analytic failed
	exitUsage  = 2 // invalid command line
)

// command is a subcommand's entry point.
type command struct {
	run     func(args []string, stdout, stderr io.Writer) int
	summary string
}

var commands = map[string]command{}

func registerCommand(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{run: run, summary: summary}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "spelunk: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: spelunk COMMAND [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-9s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'spelunk COMMAND -h' for the flags of a command.")
	fmt.Fprintln(w, "Exit status: 0 ran cleanly, 1 ran but some input or analytic failed, 2 invalid usage.")
}

// parseFlags parses a command's arguments with fs, letting flags follow
// positional arguments. ok is false when the command should stop with
// code: exitOK after -h or --help, exitUsage on an invalid flag.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	ordered, err := interspersed(fs, args)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk %s: %v\n", fs.Name(), err)
		fs.Usage()
		return exitUsage, false
	}
	if err := fs.Parse(ordered); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

// interspersed reorders args so flags may follow positional arguments
// (spelunk hunt logs/ --format jsonl), as the flag package stops at the
// first positional argument. A flag of fs that takes a value takes the
// next argument, and such a flag at the end of args is an error.
func interspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") || !takesValue(fs, name) {
			continue
		}
		if i+1 == len(args) {
			return nil, fmt.Errorf("flag %s needs a value", a)
		}
		flags = append(flags, args[i+1])
		i++
	}
	return append(append(flags, "--"), positional...), nil
}

// takesValue reports whether name is a flag of fs that is not boolean.
// Unknown flags take no value, because the flag package rejects them.
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// validWorkers reports whether a --workers value is usable, and prints
// why not.
func validWorkers(stderr io.Writer, cmd string, n int) bool {
	if n < 0 {
		fmt.Fprintf(stderr, "spelunk %s: invalid --workers %d, expected 0 (one per CPU) or more\n", cmd, n)
		return false
	}
	return true
}

// plural returns n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
