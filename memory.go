package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

func runtimeCores() int { return runtime.GOMAXPROCS(0) }

// residentBytes is this process's resident set size, from /proc (Linux);
// 0 elsewhere.
func residentBytes() float64 { return procStatus("VmRSS:") }

// peakResidentBytes is the highest resident set size so far.
func peakResidentBytes() float64 { return procStatus("VmHWM:") }

func procStatus(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
