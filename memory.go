package main

import "runtime"

func runtimeCores() int { return runtime.GOMAXPROCS(0) }

// residentBytes is this process's resident set size, from /proc (Linux);
// 0 elsewhere.
func residentBytes() float64 { return procStatus("VmRSS:") }

// peakResidentBytes is the highest resident set size so far.
func peakResidentBytes() float64 { return procStatus("VmHWM:") }

func procStatus(field string) float64 { return procStatusOf("/proc/self/status", field) }
