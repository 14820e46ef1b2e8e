package main

import (
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

func procStatus(field string) float64 { return procStatusOf("/proc/self/status", field) }

// processResidentBytes is the resident set size of another process, and
// processPeakBytes its peak.
func processResidentBytes(pid int) float64 { return procStatusOf(procPath(pid, "status"), "VmRSS:") }

func processPeakBytes(pid int) float64 { return procStatusOf(procPath(pid, "status"), "VmHWM:") }

func procPath(pid int, name string) string { return "/proc/" + strconv.Itoa(pid) + "/" + name }

// procStatFields are the fields of a /proc stat file after the command
// name (which may hold spaces), from the process state on; nil if it
// cannot be read.
func procStatFields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// processCPUSeconds is the CPU time (user and system) a process has used,
// from /proc (Linux; 0 elsewhere); pid 0 is this process.
func processCPUSeconds(pid int) float64 {
	path := "/proc/self/stat"
	if pid != 0 {
		path = procPath(pid, "stat")
	}
	f := procStatFields(path)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}
