// Command evtxbench decodes EVTX files with the evtx package and prints
// throughput and peak memory on one line, for bench/evtx.sh.
//
//	evtxbench [-workers N] [-files-parallel] [-repeat N] [-cpuprofile FILE] PATH...
//
// PATH is a file or a directory searched for *.evtx. Each file is decoded
// with Options.Workers = N. With -files-parallel, GOMAXPROCS files are
// decoded at once, one worker each, which is how a hunt over many small
// files uses the cores.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spelunk/spelunk/evtx"
)

func main() {
	workers := flag.Int("workers", 1, "goroutines decoding the chunks of one file")
	parallel := flag.Bool("files-parallel", false, "decode GOMAXPROCS files at once with one worker each")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	repeat := flag.Int("repeat", 1, "decode the file list this many times, for runs long enough to time")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "evtxbench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "evtxbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	var files []string
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".evtx") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "evtxbench:", err)
			os.Exit(1)
		}
	}
	all := files
	for range *repeat - 1 {
		all = append(all, files...)
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: evtxbench [-workers N] [-files-parallel] PATH...")
		os.Exit(2)
	}

	var bytes, records, problems atomic.Int64
	read := func(path string, workers int) {
		info, err := os.Stat(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "evtxbench:", err)
			return
		}
		st, err := evtx.ReadFile(path, evtx.Options{Workers: workers}, func(*evtx.Record) error { return nil })
		if err != nil {
			fmt.Fprintln(os.Stderr, "evtxbench:", err)
		}
		bytes.Add(info.Size())
		records.Add(int64(st.Records))
		problems.Add(int64(len(st.Problems)))
	}

	start := time.Now()
	if *parallel {
		next := make(chan string)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range next {
					read(p, 1)
				}
			}()
		}
		for _, p := range all {
			next <- p
		}
		close(next)
		wg.Wait()
	} else {
		for _, p := range all {
			read(p, *workers)
		}
	}
	secs := time.Since(start).Seconds()

	fmt.Printf("files=%d repeat=%d bytes=%d records=%d problems=%d seconds=%.3f MB/s=%.1f records/s=%.0f peak_rss_kb=%s\n",
		len(files), *repeat, bytes.Load(), records.Load(), problems.Load(), secs,
		float64(bytes.Load())/1e6/secs, float64(records.Load())/secs, peakRSS())
}

// peakRSS returns the process's peak resident set size in KiB from
// /proc/self/status, or the Go runtime's view of memory obtained from the
// OS where /proc is absent.
func peakRSS() string {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				return strings.TrimSuffix(strings.TrimSpace(v), " kB")
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("%d(runtime)", ms.Sys/1024)
}
