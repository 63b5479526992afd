//go:build !linux

package main

import "errors"

// rawChild needs epoll (raw_linux.go).
func rawChild(string) error { return errors.New("the raw generator runs on Linux only") }
